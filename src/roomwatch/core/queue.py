"""The host's question queue: fold, rank and track what viewers ask.

One :class:`QuestionQueue` per room. The pipeline feeds it each question
comment with its normalised text, jieba tokens, question probability and the
clock value taken from the records' ``ts``; the queue answers with
:class:`QueueEvent` values (``added``, ``updated``, ``removed``,
``reordered``) for the hub's ``host`` channel. It never reads the wall clock
and does no I/O.

Folding
    Each question becomes :class:`~roomwatch.core.slots.QuestionFeatures`
    (intent + aspect, slots such as ``link=3`` or ``region=新疆``, topic words).
    A question folds into an item whose signature (intent, aspect and *all*
    slots) is equal and whose topic words are similar (Jaccard ≥
    ``fold_threshold``; an empty topic matches only an empty topic). Candidates
    come from an inverted index keyed by (signature, topic word), and at most
    ``max_candidates`` of them are compared, so the cost of an add does not grow
    with the number of open items. Identical normalised texts skip feature
    extraction. A comment whose features say it asks nothing
    (:attr:`~roomwatch.core.slots.QuestionFeatures.ask`: "路过看看", "在吗")
    makes no item and is only counted in ``not_asks``. Item ids are ``q1``,
    ``q2`` … in order of creation, unique within one queue (one room in one
    process).

Ranking
    Every distinct asker adds ``confidence ** weight_confidence × level factor ×
    paid factor`` to the item's mass, and the mass decays with half-life
    ``half_life_s``. Because every item decays at the same rate, the order only
    changes when an item gains an ask, so the top ``top_n`` list is maintained
    incrementally; the mass is stored scaled by ``exp(λ (t - t0))`` and shown as
    ``score`` (the decayed mass at the current clock). One viewer asking fifty
    times counts once; a repeated ask only adds its paid part. Asks without a
    user id or name count as distinct askers. Pinned items rank first, newest
    pin on top.

Lifecycle
    ``open`` → ``claimed`` → ``answered`` / ``dismissed``; ``pin`` / ``unpin``.
    A closed item keeps absorbing the same question for ``grace_s`` seconds
    (counted as ``asked_again``) and is then removed; a later ask opens a new
    item. Open items that nobody asks for ``idle_expire_s`` are removed by
    :meth:`QuestionQueue.tick`; claimed and pinned items do not age out.

Bounded memory
    At most ``max_items`` items (on overflow the oldest closed item goes first,
    then the lowest-ranked among the ``eviction_sample`` least recently asked
    open items). Per item: at most ``max_wordings`` distinct wordings (a
    space-saving top-k count, so the most common ones survive), at most
    ``max_askers`` asker keys held exactly, and past that a
    ``asker_bitmap_bits``-bit linear-counting bitmap that estimates further
    distinct askers (measured within 2% up to 20,000 askers per item).

Event volume
    ``added`` is sent at once. ``updated`` for an item is sent at most once per
    ``update_interval_s``; later changes are held and sent by :meth:`tick`.
    ``reordered`` is sent only when the ids of the top ``top_n`` change order,
    at most once per ``reorder_interval_s`` for changes caused by asks (actions
    by the host send it at once). Call :meth:`QuestionQueue.tick` every batch
    or every second.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from itertools import islice
from types import MappingProxyType
from typing import Any, Final

from roomwatch.core.record import Comment
from roomwatch.core.slots import QuestionFeatures, extract
from roomwatch.errors import ConfigError, RoomwatchError

__all__ = [
    "ACTIONS",
    "EVENT_TYPES",
    "STATES",
    "ActionResult",
    "AuditRecord",
    "Item",
    "QuestionQueue",
    "QueueConfig",
    "QueueError",
    "QueueEvent",
]

STATES: Final = ("open", "claimed", "answered", "dismissed")
EVENT_TYPES: Final = ("added", "updated", "removed", "reordered")
ACTIONS: Final = ("claim", "unclaim", "answer", "dismiss", "pin", "unpin")
_LIVE: Final = frozenset({"open", "claimed"})
_CLOSED: Final = frozenset({"answered", "dismissed"})
# Rebase the stored masses before exp(λ (t - t0)) grows past this exponent.
_MAX_EXPONENT: Final = 400.0


class QueueError(RoomwatchError):
    """The queue was used wrongly, e.g. fed a comment from another room."""


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Folding, ranking and lifecycle settings (the TOML ``[queue]`` table).

    Times are in seconds of record time.
    """

    #: A question folds only into an item last asked within this many seconds.
    window_s: float = 600.0
    #: Most items held per room, open and closed together.
    max_items: int = 5000
    #: After an item is answered or dismissed, the same question joins it for
    #: this long (``asked_again``); after that a new item opens.
    grace_s: float = 120.0
    #: Open, unclaimed, unpinned items with no ask for this long are removed.
    idle_expire_s: float = 600.0
    #: Half-life of an ask's weight in the score.
    half_life_s: float = 120.0
    #: Length of the ranked list whose order changes send ``reordered``.
    top_n: int = 20
    #: Least Jaccard similarity of topic words for two questions to fold.
    fold_threshold: float = 0.5
    #: A question does not join an item if its topic is less similar than
    #: this to any wording the item already holds: "甜不甜" may gather
    #: "橙子甜不甜", but "月饼甜不甜" then starts its own item (0 turns it off).
    fold_conflict: float = 0.34
    #: Most candidate items compared per question.
    max_candidates: int = 24
    #: Distinct wordings counted per item (the top 4 are shown).
    max_wordings: int = 16
    #: Asker keys held exactly per item; further askers are estimated.
    max_askers: int = 256
    #: Size of the per-item bitmap that estimates askers past ``max_askers``.
    asker_bitmap_bits: int = 8192
    #: Exponent on the question probability in an ask's weight.
    weight_confidence: float = 1.0
    #: Paid boost: weight × (1 + weight_paid × ln(1 + amount)); ¥30 → ×2.7.
    weight_paid: float = 0.5
    #: Level boost: weight × (1 + weight_level × min(level, level_cap) / level_cap).
    weight_level: float = 0.5
    #: Level at which the level boost is full.
    level_cap: int = 50
    #: Questions with a lower probability are ignored.
    min_confidence: float = 0.0
    #: Least seconds between two ``updated`` events for one item.
    update_interval_s: float = 0.05
    #: Least seconds between two ``reordered`` events caused by asks.
    reorder_interval_s: float = 0.25
    #: Least recently asked open items looked at to pick one to evict.
    eviction_sample: int = 32
    #: Longest wording kept, in characters.
    max_text_chars: int = 200

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"queue.{f.name} must be a number, not {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"queue.{f.name} must be a finite number ≥ 0, not {value!r}")
        for name in ("max_items", "top_n", "max_candidates", "max_wordings", "max_askers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"queue.{name} must be at least 1")
        if self.half_life_s <= 0:
            raise ConfigError("queue.half_life_s must be greater than 0")
        if self.asker_bitmap_bits < 64:
            raise ConfigError("queue.asker_bitmap_bits must be at least 64")
        if not 0 < self.fold_threshold <= 1:
            raise ConfigError("queue.fold_threshold must be in (0, 1]")
        if self.fold_conflict > self.fold_threshold:
            raise ConfigError("queue.fold_conflict must be at most queue.fold_threshold")
        if self.min_confidence > 1:
            raise ConfigError("queue.min_confidence must be at most 1")


@dataclass(frozen=True, slots=True)
class Item:
    """One folded question as the host sees it."""

    id: str
    room: str
    #: The representative wording: the most common one (first seen on ties).
    text: str
    #: Up to three other wordings, most common first.
    wordings: tuple[str, ...]
    #: Asks, repeats included.
    count: int
    #: Distinct askers (exact up to ``max_askers``, estimated beyond).
    askers: int
    #: Asks that arrived after the item was answered or dismissed.
    asked_again: int
    first_seen: float
    last_seen: float
    slots: Mapping[str, str]
    intent: str
    aspect: str
    state: str
    score: float
    pinned: bool
    claimed_by: str | None
    closed_by: str | None
    closed_at: float | None
    paid_total: float
    max_level: int
    #: Why it ranks where it does, in Chinese and in English.
    why: str
    why_en: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room": self.room,
            "text": self.text,
            "wordings": list(self.wordings),
            "count": self.count,
            "askers": self.askers,
            "asked_again": self.asked_again,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "slots": dict(self.slots),
            "intent": self.intent,
            "aspect": self.aspect,
            "state": self.state,
            "score": self.score,
            "pinned": self.pinned,
            "claimed_by": self.claimed_by,
            "closed_by": self.closed_by,
            "closed_at": self.closed_at,
            "paid_total": self.paid_total,
            "max_level": self.max_level,
            "why": self.why,
            "why_en": self.why_en,
        }


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One change for the wire. The hub adds the sequence number.

    ``added`` / ``updated`` carry ``item``; ``removed`` carries ``item_id`` and
    ``reason`` (``idle``, ``answered``, ``dismissed`` or ``evicted``);
    ``reordered`` carries ``order``, the ids of the top items, best first.
    """

    type: str
    room: str
    item: Item | None = None
    item_id: str | None = None
    reason: str | None = None
    order: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "room": self.room}
        if self.item is not None:
            out["item"] = self.item.to_dict()
        if self.item_id is not None:
            out["id"] = self.item_id
        if self.reason is not None:
            out["reason"] = self.reason
        if self.type == "reordered":
            out["order"] = list(self.order)
        return out


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what to which item, and when (record time)."""

    ts: float
    room: str
    actor: str
    action: str
    item_id: str
    ok: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ts": self.ts,
            "room": self.room,
            "actor": self.actor,
            "action": self.action,
            "item_id": self.item_id,
            "ok": self.ok,
        }
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of a host action.

    ``error`` is one of ``not_found``, ``already_claimed`` (``by`` names the
    holder), ``not_claimed``, ``claimed_by_other`` (``by`` names the holder),
    ``closed`` (``by`` names who closed it) or ``not_pinned``.
    """

    ok: bool
    audit: AuditRecord
    events: tuple[QueueEvent, ...] = ()
    item: Item | None = None
    error: str | None = None
    by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "audit": self.audit.to_dict()}
        if self.item is not None:
            out["item"] = self.item.to_dict()
        if self.error is not None:
            out["error"] = self.error
        if self.by is not None:
            out["by"] = self.by
        return out


# --------------------------------------------------------------------------
# Internal state


class _Askers:
    """Distinct askers: exact up to ``cap`` keys, then a linear-counting bitmap."""

    __slots__ = ("_bits", "_cap", "_exact", "_nbits", "_ones")

    def __init__(self, cap: int, nbits: int) -> None:
        self._exact: set[str] = set()
        self._cap = cap
        self._nbits = nbits
        self._bits: bytearray | None = None
        self._ones = 0

    def add(self, key: str) -> bool:
        """Record ``key``; true when it was not seen before (as far as we know)."""
        if key in self._exact:
            return False
        if len(self._exact) < self._cap:
            self._exact.add(key)
            return True
        if self._bits is None:
            self._bits = bytearray((self._nbits + 7) // 8)
        digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        slot = int.from_bytes(digest, "little") % self._nbits
        byte, bit = divmod(slot, 8)
        if self._bits[byte] >> bit & 1:
            return False
        self._bits[byte] |= 1 << bit
        self._ones += 1
        return True

    def __len__(self) -> int:
        if self._bits is None or self._ones == 0:
            return len(self._exact)
        zeros = self._nbits - self._ones
        if zeros == 0:  # saturated: report what we can vouch for
            return len(self._exact) + self._nbits
        estimate = -self._nbits * math.log(zeros / self._nbits)
        return len(self._exact) + max(self._ones, round(estimate))


class _Entry:
    __slots__ = (
        "asked_again",
        "askers",
        "aspect",
        "claimed_by",
        "closed_at",
        "closed_by",
        "count",
        "first_seen",
        "id",
        "in_top",
        "index_keys",
        "intent",
        "last_emit",
        "last_seen",
        "mass",
        "max_level",
        "paid_total",
        "pin_seq",
        "pinned",
        "seq",
        "signature",
        "slots",
        "state",
        "topics",
        "touched",
        "wordings",
    )

    def __init__(self, seq: int, feats: QuestionFeatures, now: float, cfg: QueueConfig) -> None:
        self.seq = seq
        self.id = f"q{seq}"
        self.signature = feats.signature
        self.intent = feats.intent
        self.aspect = feats.aspect
        self.slots = feats.slots
        self.topics: list[frozenset[str]] = [feats.words]
        self.index_keys: list[tuple[Any, str]] = []
        self.wordings: dict[str, list[Any]] = {}
        self.askers = _Askers(cfg.max_askers, cfg.asker_bitmap_bits)
        self.count = 0
        self.asked_again = 0
        self.first_seen = now
        self.last_seen = now
        self.touched = now
        self.state = "open"
        self.claimed_by: str | None = None
        self.closed_by: str | None = None
        self.closed_at: float | None = None
        self.pinned = False
        self.pin_seq = 0
        self.mass = 0.0
        self.paid_total = 0.0
        self.max_level = 0
        self.in_top = False
        self.last_emit = -math.inf


def _rank(entry: _Entry) -> tuple[int, int, float, int]:
    return (1 if entry.pinned else 0, entry.pin_seq, entry.mass, -entry.seq)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


class QuestionQueue:
    """The question queue of one room. Not thread-safe; feed it from one task."""

    def __init__(self, room: str, config: QueueConfig | None = None) -> None:
        self.room = room
        self.config = config or QueueConfig()
        self._lambda = math.log(2) / self.config.half_life_s
        self._t0: float | None = None
        self._now = -math.inf
        self._seq = 0
        self._pin_seq = 0
        self._items: dict[str, _Entry] = {}
        # (signature, topic word or "") -> item ids, oldest first.
        self._index: dict[tuple[Any, str], dict[str, None]] = {}
        # Normalised text -> the item it last folded into (skips extraction).
        self._exact: dict[str, str] = {}
        self._features_cache: dict[str, QuestionFeatures] = {}
        # Open, unclaimed, unpinned items by last touch (oldest first): ageing.
        self._ageing: OrderedDict[str, None] = OrderedDict()
        # Closed items by close time: grace expiry and first to evict.
        self._closed: OrderedDict[str, None] = OrderedDict()
        self._dirty: dict[str, None] = {}
        self._top: list[_Entry] = []
        self._order: tuple[str, ...] = ()
        self._order_at = -math.inf
        self._order_pending = False
        self._anon = 0
        #: Question verdicts that asked the host nothing ("路过看看", "在吗"):
        #: counted, never made into items.
        self.not_asks = 0

    # ------------------------------------------------------------------ feed

    def add(
        self,
        comment: Comment,
        text: str,
        tokens: Sequence[str],
        confidence: float,
        now: float,
    ) -> list[QueueEvent]:
        """Fold one question into the queue; returns the events it caused."""
        if comment.room != self.room:
            raise QueueError(
                f"comment for room {comment.room!r} fed to the queue of room {self.room!r}"
            )
        cfg = self.config
        confidence = min(max(confidence, 0.0), 1.0) if math.isfinite(confidence) else 0.0
        if confidence < cfg.min_confidence:
            return []
        now = self._advance(now)
        key = text.strip() or comment.text.strip()
        events: list[QueueEvent] = []
        entry: _Entry | None = None
        known = self._exact.get(key)
        if known is not None:
            candidate = self._items.get(known)
            if candidate is not None and self._accepts(candidate, now):
                entry = candidate
        if entry is None:
            feats = self._features(key, tokens)
            if not feats.ask:
                self.not_asks += 1
                return events
            entry = self._match(feats, now)
            if entry is None:
                entry = self._create(feats, now, events)
            else:
                self._learn_topic(entry, feats)
        self._record(entry, comment, key, confidence, now, events)
        return events

    def tick(self, now: float) -> list[QueueEvent]:
        """Age items out, end grace periods and send held updates."""
        now = self._advance(now)
        cfg = self.config
        events: list[QueueEvent] = []
        cutoff = now - cfg.idle_expire_s
        while self._ageing:
            entry = self._items[next(iter(self._ageing))]
            if entry.touched > cutoff:
                break
            self._remove(entry, "idle", events)
        while self._closed:
            entry = self._items[next(iter(self._closed))]
            assert entry.closed_at is not None
            if entry.closed_at + cfg.grace_s >= now:
                break
            self._remove(entry, entry.state, events)
        for item_id in list(self._dirty):
            entry = self._items[item_id]
            if now - entry.last_emit >= cfg.update_interval_s:
                self._emit_update(entry, now, events, force=True)
        if self._order_pending and now - self._order_at >= cfg.reorder_interval_s:
            self._send_order(now, events, force=True)
        return events

    # --------------------------------------------------------------- actions

    def claim(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Take an item; a second claimer is told who holds it."""
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("claim", item_id, actor, now, error="not_found")
        if entry.state in _CLOSED:
            return self._result("claim", item_id, actor, now, entry, "closed", entry.closed_by)
        if entry.state == "claimed":
            if entry.claimed_by == actor:
                return self._result("claim", item_id, actor, now, entry)
            return self._result(
                "claim", item_id, actor, now, entry, "already_claimed", entry.claimed_by
            )
        entry.state = "claimed"
        entry.claimed_by = actor
        self._ageing.pop(entry.id, None)
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        return self._result("claim", item_id, actor, now, entry, events=events)

    def unclaim(self, item_id: str, actor: str, now: float, *, force: bool = False) -> ActionResult:
        """Give an item back; only its holder may, unless ``force``."""
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("unclaim", item_id, actor, now, error="not_found")
        if entry.state != "claimed":
            return self._result("unclaim", item_id, actor, now, entry, "not_claimed")
        if entry.claimed_by != actor and not force:
            return self._result(
                "unclaim", item_id, actor, now, entry, "claimed_by_other", entry.claimed_by
            )
        entry.state = "open"
        entry.claimed_by = None
        entry.touched = now
        if not entry.pinned:
            self._ageing[entry.id] = None
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        return self._result("unclaim", item_id, actor, now, entry, events=events)

    def answer(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Close an item as answered; repeats within ``grace_s`` join it."""
        return self._close("answer", "answered", item_id, actor, now)

    def dismiss(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Close an item without answering; repeats within ``grace_s`` join it."""
        return self._close("dismiss", "dismissed", item_id, actor, now)

    def pin(self, item_id: str, actor: str, now: float) -> ActionResult:
        """Keep an item at the top (newest pin first); pinned items do not age out."""
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("pin", item_id, actor, now, error="not_found")
        if entry.state in _CLOSED:
            return self._result("pin", item_id, actor, now, entry, "closed", entry.closed_by)
        if entry.pinned:
            return self._result("pin", item_id, actor, now, entry)
        self._pin_seq += 1
        entry.pinned = True
        entry.pin_seq = self._pin_seq
        self._ageing.pop(entry.id, None)
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        if self._bump(entry):
            self._send_order(now, events, force=True)
        return self._result("pin", item_id, actor, now, entry, events=events)

    def unpin(self, item_id: str, actor: str, now: float) -> ActionResult:
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result("unpin", item_id, actor, now, error="not_found")
        if not entry.pinned:
            return self._result("unpin", item_id, actor, now, entry, "not_pinned")
        entry.pinned = False
        entry.pin_seq = 0
        entry.touched = now
        if entry.state == "open":
            self._ageing[entry.id] = None
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        self._rebuild_top()
        self._send_order(now, events, force=True)
        return self._result("unpin", item_id, actor, now, entry, events=events)

    # ----------------------------------------------------------------- reads

    def snapshot(self, *, include_closed: bool = False) -> list[Item]:
        """Open and claimed items, best first; closed ones (in grace) last."""
        now = self._now
        live = sorted(
            (e for e in self._items.values() if e.state in _LIVE), key=_rank, reverse=True
        )
        items = [self._item(e, now) for e in live]
        if include_closed:
            closed = [self._items[i] for i in reversed(self._closed)]
            items.extend(self._item(e, now) for e in closed)
        return items

    def get(self, item_id: str) -> Item | None:
        entry = self._items.get(item_id)
        return None if entry is None else self._item(entry, self._now)

    def top_ids(self) -> tuple[str, ...]:
        """Ids of the top ``top_n`` live items, best first."""
        return tuple(e.id for e in self._top)

    def __len__(self) -> int:
        return len(self._items)

    # -------------------------------------------------------------- internals

    def _advance(self, now: float) -> float:
        if not math.isfinite(now):
            raise QueueError(f"the clock value must be finite, not {now!r}")
        if now > self._now:
            self._now = now
        if self._t0 is None:
            self._t0 = self._now
        elif self._lambda * (self._now - self._t0) > _MAX_EXPONENT:
            factor = math.exp(-self._lambda * (self._now - self._t0))
            for entry in self._items.values():
                entry.mass *= factor
            self._t0 = self._now
        return self._now

    def _features(self, text: str, tokens: Sequence[str]) -> QuestionFeatures:
        feats = self._features_cache.get(text)
        if feats is None:
            if len(self._features_cache) >= 4096:
                self._features_cache.clear()
            feats = extract(text, tokens)
            self._features_cache[text] = feats
        return feats

    def _accepts(self, entry: _Entry, now: float) -> bool:
        if entry.state in _LIVE:
            return now - entry.last_seen <= self.config.window_s
        assert entry.closed_at is not None
        return now - entry.closed_at <= self.config.grace_s

    def _match(self, feats: QuestionFeatures, now: float) -> _Entry | None:
        cfg = self.config
        sig = feats.signature
        words = feats.words
        limit = cfg.max_candidates
        seen: dict[str, int] = {}
        for word in words or ("",):
            posting = self._index.get((sig, word))
            if not posting:
                continue
            for item_id in islice(reversed(posting), limit):
                seen[item_id] = seen.get(item_id, 0) + 1
        if not seen:
            return None
        # Jaccard ≥ t needs at least ⌈t·|words|⌉ shared words: skip the rest
        # without computing anything (postings are read for recent items only,
        # so the shared count is a lower bound; that only costs recall).
        need = math.ceil(cfg.fold_threshold * len(words) - 1e-9) if words else 1
        hits = [kv for kv in seen.items() if kv[1] >= need]
        if not hits:
            return None
        ranked = (
            sorted(hits, key=lambda kv: kv[1], reverse=True)[:limit] if len(hits) > limit else hits
        )
        best: _Entry | None = None
        best_sim = cfg.fold_threshold
        for item_id, _ in ranked:
            entry = self._items[item_id]
            if not self._accepts(entry, now):
                continue
            sims = [_jaccard(words, topic) for topic in entry.topics]
            sim = max(sims)
            if len(sims) > 1 and min(sims) < cfg.fold_conflict:
                continue
            if sim > best_sim or (sim == best_sim and (best is None or entry.seq > best.seq)):
                best, best_sim = entry, sim
        return best

    def _learn_topic(self, entry: _Entry, feats: QuestionFeatures) -> None:
        words = feats.words
        if words in entry.topics or len(entry.topics) >= 4:
            return
        entry.topics.append(words)
        self._index_entry(entry, words)

    def _index_entry(self, entry: _Entry, words: frozenset[str]) -> None:
        for word in words or ("",):
            key = (entry.signature, word)
            posting = self._index.get(key)
            if posting is None:
                posting = self._index[key] = {}
            if entry.id not in posting:
                posting[entry.id] = None
                entry.index_keys.append(key)

    def _create(self, feats: QuestionFeatures, now: float, events: list[QueueEvent]) -> _Entry:
        if len(self._items) >= self.config.max_items:
            self._evict(events)
        self._seq += 1
        entry = _Entry(self._seq, feats, now, self.config)
        self._items[entry.id] = entry
        self._ageing[entry.id] = None
        self._index_entry(entry, feats.words)
        return entry

    def _record(
        self,
        entry: _Entry,
        comment: Comment,
        key: str,
        confidence: float,
        now: float,
        events: list[QueueEvent],
    ) -> None:
        cfg = self.config
        new_item = entry.count == 0
        entry.count += 1
        entry.last_seen = now
        self._add_wording(entry, key, comment.text)
        asker = comment.user_key
        if asker is None:
            self._anon += 1
            asker = f"\x00anon{self._anon}"
        first_ask = entry.askers.add(asker)
        amount = comment.amount if comment.paid and comment.amount else 0.0
        entry.paid_total += amount
        level = comment.user.level or 0
        if level > entry.max_level:
            entry.max_level = level
        if entry.state in _CLOSED:
            entry.asked_again += 1
            self._emit_update(entry, now, events)
            return
        weight = confidence**cfg.weight_confidence
        weight *= 1.0 + cfg.weight_level * min(max(level, 0), cfg.level_cap) / max(cfg.level_cap, 1)
        paid = cfg.weight_paid * math.log1p(amount)
        gain = weight * (1.0 + paid) if first_ask else weight * paid
        if gain > 0:
            assert self._t0 is not None
            entry.mass += gain * math.exp(self._lambda * (now - self._t0))
        if entry.id in self._ageing:
            entry.touched = now
            self._ageing.move_to_end(entry.id)
        if new_item:
            entry.last_emit = now
            events.append(QueueEvent("added", self.room, item=self._item(entry, now)))
        else:
            self._emit_update(entry, now, events)
        if gain > 0 and self._bump(entry):
            self._send_order(now, events)

    def _add_wording(self, entry: _Entry, key: str, raw: str) -> None:
        wordings = entry.wordings
        slot = wordings.get(key)
        if slot is not None:
            slot[0] += 1
        else:
            count = 1
            if len(wordings) >= self.config.max_wordings:
                # Space-saving: the newcomer inherits the smallest count + 1.
                victim = min(wordings, key=lambda k: wordings[k][0])
                count = wordings.pop(victim)[0] + 1
                if self._exact.get(victim) == entry.id:
                    del self._exact[victim]
            wordings[key] = [count, raw.strip()[: self.config.max_text_chars]]
        self._exact[key] = entry.id

    def _emit_update(
        self, entry: _Entry, now: float, events: list[QueueEvent], *, force: bool = False
    ) -> None:
        if force or now - entry.last_emit >= self.config.update_interval_s:
            entry.last_emit = now
            self._dirty.pop(entry.id, None)
            events.append(QueueEvent("updated", self.room, item=self._item(entry, now)))
        else:
            self._dirty[entry.id] = None

    def _bump(self, entry: _Entry) -> bool:
        """Place a live entry whose rank rose; true if the top list changed."""
        top = self._top
        key = _rank(entry)
        if entry.in_top:
            i = top.index(entry)
            j = i
            while j > 0 and _rank(top[j - 1]) < key:
                j -= 1
            if j == i:
                return False
            del top[i]
            top.insert(j, entry)
            return True
        if len(top) >= self.config.top_n:
            if key <= _rank(top[-1]):
                return False
            top.pop().in_top = False
        j = len(top)
        while j > 0 and _rank(top[j - 1]) < key:
            j -= 1
        top.insert(j, entry)
        entry.in_top = True
        return True

    def _rebuild_top(self) -> None:
        for entry in self._top:
            entry.in_top = False
        live = (e for e in self._items.values() if e.state in _LIVE)
        self._top = heapq.nlargest(self.config.top_n, live, key=_rank)
        for entry in self._top:
            entry.in_top = True

    def _send_order(self, now: float, events: list[QueueEvent], *, force: bool = False) -> None:
        order = tuple(e.id for e in self._top)
        if order == self._order:
            self._order_pending = False
            return
        if not force and now - self._order_at < self.config.reorder_interval_s:
            self._order_pending = True
            return
        self._order = order
        self._order_at = now
        self._order_pending = False
        events.append(QueueEvent("reordered", self.room, order=order))

    def _close(self, action: str, state: str, item_id: str, actor: str, now: float) -> ActionResult:
        now = self._advance(now)
        entry = self._items.get(item_id)
        if entry is None:
            return self._result(action, item_id, actor, now, error="not_found")
        if entry.state in _CLOSED:
            return self._result(action, item_id, actor, now, entry, "closed", entry.closed_by)
        entry.state = state
        entry.closed_by = actor
        entry.closed_at = now
        entry.pinned = False
        entry.pin_seq = 0
        self._ageing.pop(entry.id, None)
        self._closed[entry.id] = None
        events: list[QueueEvent] = []
        self._emit_update(entry, now, events, force=True)
        if entry.in_top:
            self._rebuild_top()
            self._send_order(now, events, force=True)
        return self._result(action, item_id, actor, now, entry, events=events)

    def _remove(self, entry: _Entry, reason: str, events: list[QueueEvent]) -> None:
        del self._items[entry.id]
        for key in entry.index_keys:
            posting = self._index.get(key)
            if posting is not None:
                posting.pop(entry.id, None)
                if not posting:
                    del self._index[key]
        for text in entry.wordings:
            if self._exact.get(text) == entry.id:
                del self._exact[text]
        self._ageing.pop(entry.id, None)
        self._closed.pop(entry.id, None)
        self._dirty.pop(entry.id, None)
        events.append(QueueEvent("removed", self.room, item_id=entry.id, reason=reason))
        if entry.in_top:
            self._rebuild_top()
            self._send_order(self._now, events)

    def _evict(self, events: list[QueueEvent]) -> None:
        if self._closed:
            self._remove(self._items[next(iter(self._closed))], "evicted", events)
            return
        victim: _Entry | None = None
        for n, item_id in enumerate(self._ageing):
            if n >= self.config.eviction_sample:
                break
            entry = self._items[item_id]
            if victim is None or entry.mass < victim.mass:
                victim = entry
        if victim is None:
            # Everything is claimed or pinned: drop the lowest-ranked anyway.
            victim = min(self._items.values(), key=_rank)
        self._remove(victim, "evicted", events)

    def _result(
        self,
        action: str,
        item_id: str,
        actor: str,
        now: float,
        entry: _Entry | None = None,
        error: str | None = None,
        by: str | None = None,
        *,
        events: Sequence[QueueEvent] = (),
    ) -> ActionResult:
        audit = AuditRecord(
            ts=now,
            room=self.room,
            actor=actor,
            action=action,
            item_id=item_id,
            ok=error is None,
            error=error,
        )
        return ActionResult(
            ok=error is None,
            audit=audit,
            events=tuple(events),
            item=None if entry is None else self._item(entry, now),
            error=error,
            by=by,
        )

    def _item(self, entry: _Entry, now: float) -> Item:
        ranked = sorted(entry.wordings.values(), key=lambda slot: slot[0], reverse=True)
        texts: list[str] = []
        for _, raw in ranked:
            if raw not in texts:
                texts.append(raw)
            if len(texts) >= 4:
                break
        assert self._t0 is not None
        score = entry.mass * math.exp(-self._lambda * (now - self._t0))
        askers = len(entry.askers)
        why, why_en = _explain(entry, askers)
        return Item(
            id=entry.id,
            room=self.room,
            text=texts[0] if texts else "",
            wordings=tuple(texts[1:]),
            count=entry.count,
            askers=askers,
            asked_again=entry.asked_again,
            first_seen=entry.first_seen,
            last_seen=entry.last_seen,
            slots=MappingProxyType(dict(entry.slots)),
            intent=entry.intent,
            aspect=entry.aspect,
            state=entry.state,
            score=round(score, 4),
            pinned=entry.pinned,
            claimed_by=entry.claimed_by,
            closed_by=entry.closed_by,
            closed_at=entry.closed_at,
            paid_total=entry.paid_total,
            max_level=entry.max_level,
            why=why,
            why_en=why_en,
        )


def _explain(entry: _Entry, askers: int) -> tuple[str, str]:
    minutes = max(1, math.ceil((entry.last_seen - entry.first_seen) / 60))
    zh = [f"{askers} 人问", f"{minutes} 分钟内"]
    en = [f"{askers} asker{'s' if askers != 1 else ''}", f"within {minutes} min"]
    if entry.count > askers:
        zh.insert(1, f"共 {entry.count} 次")
        en.insert(1, f"{entry.count} asks")
    if entry.paid_total > 0:
        zh.append(f"含付费 ¥{entry.paid_total:g}")
        en.append(f"incl. paid ¥{entry.paid_total:g}")
    if entry.max_level >= 20:
        zh.append(f"最高 Lv.{entry.max_level}")
        en.append(f"top level {entry.max_level}")
    if entry.pinned:
        zh.insert(0, "置顶")
        en.insert(0, "pinned")
    if entry.asked_again:
        label = "回答" if entry.state == "answered" else "处理"
        zh.append(f"{label}后又问 {entry.asked_again} 次")
        en.append(f"asked again {entry.asked_again}× since {entry.state}")
    return " · ".join(zh), " · ".join(en)

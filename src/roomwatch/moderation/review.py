"""The sans-I/O core of the dashboard: review queue, room stats, user rings.

Nothing here awaits or reads a clock: callers pass verdicts and record time.
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from roomwatch.core.verdict import Verdict

__all__ = [
    "LABELS",
    "ROW_FIELDS",
    "ReviewItem",
    "ReviewQueue",
    "RoomStats",
    "UserHistory",
    "compact",
    "raid_key",
]

LABELS: Final = ("question", "grievance", "abuse", "spam", "chatter")
_LABEL_INDEX: Final = {label: i for i, label in enumerate(LABELS)}
_RAID_KEY_CHARS: Final = 48


#: Field order of a stream row (the hot path: arrays encode and parse faster).
ROW_FIELDS: Final = ("id", "room", "ts", "label", "p", "s", "user_id", "user_name", "text")


def compact(v: Verdict) -> tuple[Any, ...]:
    """The stream's view of one comment, as a row in :data:`ROW_FIELDS` order.

    A tuple of plain values: the garbage collector stops tracking it, so the
    rows kept for ``recent`` cost full collections nothing.
    """
    c = v.comment
    return (
        c.id,
        c.room,
        c.ts,
        v.label,
        round(v.scores.get(v.label, 0.0), 3),
        round(v.sentiment, 3),
        c.user.id,
        c.user.name,
        c.text,
    )


def _synthetic_id(room: str, ts: float, text: str) -> str:
    """An id for a comment the platform sent without one (stable within a run)."""
    return f"anon-{zlib.crc32(f'{room}|{ts!r}|{text}'.encode()):08x}"


def raid_key(text: str) -> str:
    """Near-identical texts share a key: letters and CJK only, case-folded.

    Raids vary their copies with digits, punctuation, spaces and emoji; those
    are dropped, so ``"加V 123 看片!!"`` and ``"加v456看片"`` match.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        cat = unicodedata.category(ch)
        if cat.startswith("L"):
            out.append(ch)
            if len(out) >= _RAID_KEY_CHARS:
                break
    return "".join(out)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """An abuse or spam verdict waiting for a moderator's decision."""

    id: str
    room: str
    ts: float
    text: str
    user_id: str
    user_name: str
    user_level: int | None
    label: str
    confidence: float
    scores: dict[str, float]
    sentiment: float
    reasons: tuple[str, ...]
    model: str
    raid: str
    #: The user's comments in this room just before this one, newest first.
    recent: tuple[dict[str, Any], ...] = ()
    #: A comment the model let through, acted on from the stream by a
    #: moderator (never in the review queue, so an undo does not put it there).
    reported: bool = False

    @classmethod
    def from_verdict(cls, v: Verdict, recent: Sequence[dict[str, Any]] = ()) -> ReviewItem:
        c = v.comment
        return cls(
            id=c.id or _synthetic_id(c.room, c.ts, c.text),
            room=c.room,
            ts=c.ts,
            text=c.text,
            user_id=c.user.id or "",
            user_name=c.user.name or "",
            user_level=c.user.level,
            label=v.label,
            confidence=round(v.scores.get(v.label, 0.0), 4),
            scores={k: round(x, 4) for k, x in v.scores.items()},
            sentiment=round(v.sentiment, 4),
            reasons=tuple(v.reasons),
            model=v.model,
            raid=raid_key(v.normalized.text or c.text),
            recent=tuple(recent),
        )

    @classmethod
    def reported_from(
        cls, room: str, user_id: str, row: Mapping[str, Any], earlier: Sequence[dict[str, Any]]
    ) -> ReviewItem:
        """A comment of ``user_id``'s history (a :class:`UserHistory` row) that a
        moderator acts on from the stream, though the model did not flag it."""
        text = str(row.get("text", ""))
        return cls(
            id=str(row["id"]),
            room=room,
            ts=float(row.get("ts") or 0.0),
            text=text,
            user_id=user_id,
            user_name="",
            user_level=None,
            label=str(row.get("label", "chatter")),
            confidence=0.0,
            scores={},
            sentiment=0.0,
            reasons=(),
            model="",
            raid=raid_key(text),
            recent=tuple(earlier),
            reported=True,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "room": self.room,
            "ts": self.ts,
            "text": self.text,
            "user": {"id": self.user_id, "name": self.user_name, "level": self.user_level},
            "label": self.label,
            "p": self.confidence,
            "scores": self.scores,
            "sentiment": self.sentiment,
            "reasons": list(self.reasons),
            "model": self.model,
            "raid": self.raid,
            "recent": list(self.recent),
        }
        if self.reported:
            out["reported"] = True
        return out


class ReviewQueue:
    """Open review items per room, oldest first, bounded per room and in total.

    Rooms are kept least recently active first. Past ``max_total`` items in
    all rooms, the least recently active room loses its oldest item; those
    items go to :attr:`spilled` (the caller tells the moderators and counts
    them: none is dropped silently).
    """

    def __init__(
        self, labels: Iterable[str], max_per_room: int, max_total: int | None = None
    ) -> None:
        self.labels = frozenset(labels)
        self.max_per_room = max_per_room
        self.max_total = max_total
        #: Rooms with review labels or a cap of their own (``[rooms]``).
        self._room_labels: dict[str, frozenset[str]] = {}
        self._room_max: dict[str, int] = {}
        self._rooms: OrderedDict[str, OrderedDict[str, ReviewItem]] = OrderedDict()
        self._total = 0
        #: Items evicted by the global cap since the caller last took them.
        self.spilled: list[ReviewItem] = []

    def wants(self, v: Verdict) -> bool:
        return v.label in self._room_labels.get(v.comment.room, self.labels)

    def set_room(self, room: str, labels: Iterable[str] = (), max_items: int = 0) -> None:
        """``room``'s own review labels and cap (empty, 0: the global ones)."""
        if labels:
            self._room_labels[room] = frozenset(labels)
        else:
            self._room_labels.pop(room, None)
        if max_items > 0:
            self._room_max[room] = max_items
        else:
            self._room_max.pop(room, None)

    def _room(self, name: str) -> OrderedDict[str, ReviewItem]:
        room = self._rooms.get(name)
        if room is None:
            room = self._rooms[name] = OrderedDict()
        else:
            self._rooms.move_to_end(name)
        return room

    def add(self, item: ReviewItem) -> list[str]:
        """Add ``item``; returns the ids evicted from its room by the per-room cap.

        Items evicted by the global cap (from any room) go to :attr:`spilled`.
        """
        room = self._room(item.room)
        if item.id not in room:
            self._total += 1
        room[item.id] = item
        evicted: list[str] = []
        cap = self._room_max.get(item.room, self.max_per_room)
        while len(room) > cap:
            old, _ = room.popitem(last=False)
            self._total -= 1
            evicted.append(old)
        self._spill()
        return evicted

    def _spill(self) -> None:
        if self.max_total is None:
            return
        while self._total > self.max_total:
            name, oldest = next(iter(self._rooms.items()))
            _, spilled = oldest.popitem(last=False)
            self._total -= 1
            self.spilled.append(spilled)
            if not oldest:
                del self._rooms[name]

    def take_spilled(self) -> list[ReviewItem]:
        """The items the global cap evicted since the last call (and forget them)."""
        out, self.spilled = self.spilled, []
        return out

    def restore(self, item: ReviewItem) -> None:
        """Put a decided item back (undo), in time order."""
        room = self._room(item.room)
        room[item.id] = item
        ordered = sorted(room.values(), key=lambda i: i.ts)
        room.clear()
        for it in ordered[-self.max_per_room :]:
            room[it.id] = it
        self._total = sum(len(q) for q in self._rooms.values())
        self._spill()

    def get(self, room: str, item_id: str) -> ReviewItem | None:
        q = self._rooms.get(room)
        return q.get(item_id) if q is not None else None

    def pop(self, room: str, item_id: str) -> ReviewItem | None:
        q = self._rooms.get(room)
        if q is None:
            return None
        found = q.pop(item_id, None)
        if found is not None:
            self._total -= 1
            if not q:
                del self._rooms[room]
        return found

    def items(self, room: str) -> list[ReviewItem]:
        return list(self._rooms.get(room, {}).values())

    @property
    def rooms(self) -> tuple[str, ...]:
        return tuple(self._rooms)

    def __len__(self) -> int:
        return self._total


class UserHistory:
    """The last few comments of each (room, user), least recently active dropped."""

    def __init__(self, per_user: int, max_users: int) -> None:
        self.per_user = per_user
        self.max_users = max_users
        self._rings: OrderedDict[tuple[str, str], deque[dict[str, Any]]] = OrderedDict()

    def add(self, room: str, user_id: str, row: dict[str, Any]) -> None:
        if not user_id:
            return
        key = (room, user_id)
        ring = self._rings.get(key)
        if ring is None:
            ring = self._rings[key] = deque(maxlen=self.per_user)
            if len(self._rings) > self.max_users:
                self._rings.popitem(last=False)
        else:
            self._rings.move_to_end(key)
        ring.append(row)

    def recent(self, room: str, user_id: str, *, before: str | None = None) -> list[dict[str, Any]]:
        """Newest first; with ``before``, only comments older than that comment id."""
        ring = self._rings.get((room, user_id))
        if ring is None:
            return []
        rows = list(reversed(ring))
        if before is not None:
            for i, row in enumerate(rows):
                if row.get("id") == before:
                    return rows[i + 1 :]
        return rows

    def __len__(self) -> int:
        return len(self._rings)


@dataclass(slots=True)
class _Bucket:
    start: float
    counts: list[int] = field(default_factory=lambda: [0] * len(LABELS))
    sentiment: float = 0.0
    n: int = 0

    def to_list(self) -> list[Any]:
        return [self.start, *self.counts, round(self.sentiment, 3), self.n]


class RoomStats:
    """A room's live comment rate, mood and 30-minute series (record time)."""

    def __init__(
        self,
        *,
        rate_window_s: float = 10.0,
        mood_window_s: float = 60.0,
        bucket_s: float = 10.0,
        minutes: int = 30,
    ) -> None:
        self.rate_window_s = rate_window_s
        self.mood_window_s = mood_window_s
        self.bucket_s = bucket_s
        self.keep = max(1, math.ceil(minutes * 60 / bucket_s))
        self._series: deque[_Bucket] = deque(maxlen=self.keep)
        #: Per-second (second, n, sentiment sum) for the rate and mood windows.
        self._seconds: deque[list[float]] = deque()
        self.newest = 0.0
        self.total = 0

    def add(self, ts: float, label: str, sentiment: float, n: int = 1) -> None:
        """``n`` comments (``sentiment``: their sum) with ``label`` at ``ts``."""
        self.total += n
        if ts > self.newest:
            self.newest = ts
        sec = float(math.floor(ts))
        seconds = self._seconds
        if seconds and seconds[-1][0] == sec:
            last = seconds[-1]
            last[1] += n
            last[2] += sentiment
        elif not seconds or seconds[-1][0] < sec:
            seconds.append([sec, float(n), sentiment])
        elif sec >= seconds[0][0]:
            for s in reversed(seconds):
                if s[0] == sec:
                    s[1] += n
                    s[2] += sentiment
                    break
        start = math.floor(ts / self.bucket_s) * self.bucket_s
        series = self._series
        if series and series[-1].start == start:
            bucket = series[-1]
        elif not series or series[-1].start < start:
            bucket = _Bucket(start)
            series.append(bucket)
        else:
            found = next((b for b in reversed(series) if b.start == start), None)
            if found is None:
                return  # older than the oldest bucket, or in a gap we never opened
            bucket = found
        idx = _LABEL_INDEX.get(label)
        if idx is not None:
            bucket.counts[idx] += n
        bucket.sentiment += sentiment
        bucket.n += n

    def _trim(self, now: float) -> None:
        horizon = now - max(self.rate_window_s, self.mood_window_s) - 1
        while self._seconds and self._seconds[0][0] < horizon:
            self._seconds.popleft()

    def summary(self, now: float) -> dict[str, Any]:
        """Rate (comments/s over the rate window) and mood (mean sentiment, or None)."""
        self._trim(now)
        rate_n = 0.0
        mood_n = 0.0
        mood_sum = 0.0
        for sec, n, s in self._seconds:
            if sec > now - self.rate_window_s:
                rate_n += n
            if sec > now - self.mood_window_s:
                mood_n += n
                mood_sum += s
        return {
            "rate": round(rate_n / self.rate_window_s, 2),
            "mood": round(mood_sum / mood_n, 3) if mood_n else None,
            "total": self.total,
            "newest": self.newest,
        }

    def series(self, last: int | None = None) -> list[list[Any]]:
        """Buckets ``[start, question, grievance, abuse, spam, chatter, sentiment_sum, n]``."""
        buckets = list(self._series)
        if last is not None:
            buckets = buckets[-last:]
        return [b.to_list() for b in buckets]

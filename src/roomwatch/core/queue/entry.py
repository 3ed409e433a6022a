"""The queue's internal per-item state: one :class:`Entry` per folded question."""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Any, Final

from roomwatch.core.queue.config import QueueConfig

if TYPE_CHECKING:  # (see fold.py: the slots' regexes compile on first use)
    from roomwatch.core.slots import QuestionFeatures

__all__ = ["CLOSED", "LIVE", "Askers", "Entry"]

LIVE: Final = frozenset({"open", "claimed"})
CLOSED: Final = frozenset({"answered", "dismissed"})


class Askers:
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


class Entry:
    """One item's mutable state; the queue shows it as an :class:`~.events.Item`."""

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
        self.askers = Askers(cfg.max_askers, cfg.asker_bitmap_bits)
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

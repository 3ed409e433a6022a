"""Raids: near-identical abuse or spam from many accounts within seconds.

The grouping is core's (:class:`~roomwatch.core.alerts.grouping.BurstGrouper`,
the same similarity code as the live ``abuse_raid`` detector), with the
report's own thresholds: ``raid_similarity``, ``raid_gap_s`` and
``raid_min_accounts``. The report keeps the ``max_raids`` largest.
"""

from __future__ import annotations

import heapq
from types import MappingProxyType

from roomwatch.core.alerts.grouping import BurstGrouper, Message, TextGroup, raid_key
from roomwatch.core.verdict import Verdict
from roomwatch.report.config import ReportConfig
from roomwatch.report.counters import clip
from roomwatch.report.values import Raid

__all__ = ["Raids", "freeze", "message_of"]


def message_of(v: Verdict, account: str | None, sample_chars: int) -> Message:
    """What the grouping sees of one abuse or spam verdict."""
    c = v.comment
    return Message(
        room=c.room,
        ts=c.ts,
        key=raid_key(v.normalized.text, c.text),
        account=account,
        label="abuse" if v.label == "abuse" else "spam",
        sample=clip(c.text, sample_chars),
    )


def freeze(room: str, g: TextGroup) -> Raid:
    """The report's view of one group (up to 12 account hashes)."""
    return Raid(
        room=room,
        start=g.start,
        end=g.end,
        messages=g.messages,
        accounts=len(g.accounts),
        labels=MappingProxyType({"abuse": g.abuse, "spam": g.spam}),
        hashed=tuple(list(g.accounts)[:12]),
        samples=tuple(g.samples),
    )


class Raids:
    def __init__(self, config: ReportConfig) -> None:
        self.config = config
        self.grouper = BurstGrouper(
            similarity=config.raid_similarity,
            gap_seconds=config.raid_gap_s,
            max_groups=config.raid_groups,
            max_samples=config.samples,
        )
        #: The largest closed raids: a heap by (accounts, -sequence).
        self.closed: list[tuple[int, int, int, Raid]] = []
        self._seq = 0

    def add(self, v: Verdict, account: str | None) -> None:
        """Take one typed abuse or spam comment (``account``: its hash)."""
        msg = message_of(v, account, self.config.sample_chars)
        for g in self.grouper.add(msg):
            self._close(msg.room, g)

    def _close(self, room: str, g: TextGroup) -> None:
        cfg = self.config
        if len(g.accounts) < cfg.raid_min_accounts:
            return
        raid = freeze(room, g)
        self._seq += 1
        entry = (raid.accounts, -self._seq, raid.messages, raid)
        if len(self.closed) < cfg.max_raids:
            heapq.heappush(self.closed, entry)
        else:
            heapq.heappushpop(self.closed, entry)

    def summaries(self) -> tuple[Raid, ...]:
        """The largest raids, closed or still open, largest first."""
        raids = [entry[3] for entry in self.closed]
        # Groups still open at the end count too (without changing state).
        raids.extend(
            freeze(room, g)
            for room, g in self.grouper.open_groups()
            if len(g.accounts) >= self.config.raid_min_accounts
        )
        raids.sort(key=lambda r: (-r.accounts, -r.messages, r.start))
        return tuple(raids[: self.config.max_raids])

"""Accounts that posted abuse or spam, by a salted hash of (room, user) only,
in a pruned top-k counter; distinct accounts are counted exactly up to
``max_distinct_accounts``."""

from __future__ import annotations

import hashlib
import heapq
from types import MappingProxyType

from roomwatch.core.verdict import Verdict
from roomwatch.report.config import ReportConfig
from roomwatch.report.counters import Pruned, clip
from roomwatch.report.values import Account

__all__ = ["Accounts", "account_hash"]


def account_hash(room: str, user: str, salt: str = "") -> str:
    """The first 10 hex digits of sha256(salt + room + NUL + user)."""
    blob = f"{salt}{room}\x00{user}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(blob).hexdigest()[:10]


class _Account:
    __slots__ = ("first_ts", "labels", "last_ts", "room", "sample")

    def __init__(self, room: str, ts: float, sample: str) -> None:
        self.room = room
        self.first_ts = ts
        self.last_ts = ts
        self.labels = [0, 0]  # abuse, spam
        self.sample = sample


class Accounts:
    def __init__(self, config: ReportConfig) -> None:
        self.config = config
        self.counts = Pruned(config.max_accounts)
        self.info: dict[str, _Account] = {}
        self.distinct: set[str] = set()
        self.capped = False

    def add(self, v: Verdict) -> str | None:
        """Count one abuse or spam comment; returns its account hash (``None``
        when the comment has no user)."""
        cfg = self.config
        c = v.comment
        li = 0 if v.label == "abuse" else 1
        user = c.user_key
        hashed = account_hash(c.room, user, cfg.hash_salt) if user is not None else None
        if hashed is not None:
            if not self.capped:
                self.distinct.add(hashed)
                if len(self.distinct) >= cfg.max_distinct_accounts:
                    self.capped = True
            self.counts.add(hashed)
            info = self.info.get(hashed)
            if info is None:
                info = self.info[hashed] = _Account(c.room, c.ts, clip(c.text, cfg.sample_chars))
                if len(self.info) > 2 * cfg.max_accounts + 1:
                    live = self.counts.counts
                    self.info = {k: a for k, a in self.info.items() if k in live}
            info.labels[li] += 1
            info.first_ts = min(info.first_ts, c.ts)
            info.last_ts = max(info.last_ts, c.ts)
        return hashed

    def top(self) -> tuple[Account, ...]:
        """The 30 accounts with most abuse and spam."""
        out = []
        for hashed, count in heapq.nlargest(
            30, self.counts.counts.items(), key=lambda kv: (kv[1], kv[0])
        ):
            info = self.info.get(hashed)
            if info is None:
                continue
            out.append(
                Account(
                    hashed=hashed,
                    room=info.room,
                    count=count,
                    labels=MappingProxyType({"abuse": info.labels[0], "spam": info.labels[1]}),
                    first_ts=info.first_ts,
                    last_ts=info.last_ts,
                    sample=info.sample,
                )
            )
        return tuple(out)

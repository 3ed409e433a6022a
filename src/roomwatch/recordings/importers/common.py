"""What every importer shares: counting malformed items, reading numbers, China's time zone."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta, timezone, tzinfo
from typing import Final

from roomwatch.recordings.errors import Skip, Warn, by_reason

__all__ = ["MAX_DETAILED_WARNINGS", "Problems", "finite", "shanghai"]

#: Malformed elements reported one by one before only a summary is given.
MAX_DETAILED_WARNINGS: Final = 20


def shanghai() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database: China has kept UTC+8 without DST since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


class Problems:
    """Counts malformed items and reports the first few in detail."""

    def __init__(self, name: str, warn: Warn | None, on_skip: Skip | None = None) -> None:
        self.name = name
        self.warn = warn
        self.on_skip = on_skip
        self.by_reason: Counter[str] = Counter()

    def add(self, where: str, reason: str, detail: str) -> None:
        self.by_reason[reason] += 1
        if self.on_skip is not None:
            self.on_skip(reason)
        if self.warn is not None and sum(self.by_reason.values()) <= MAX_DETAILED_WARNINGS:
            self.warn(f"{self.name}: {where}: {detail}; skipped")

    def note(self, message: str) -> None:
        if self.warn is not None:
            self.warn(f"{self.name}: {message}")

    def summary(self) -> None:
        total = sum(self.by_reason.values())
        if self.warn is not None and total > MAX_DETAILED_WARNINGS:
            parts = by_reason(self.by_reason)
            self.warn(f"{self.name}: {total} malformed items skipped in all ({parts})")


def finite(value: str, what: str) -> float:
    """``value`` as a finite float; ValueError names ``what`` otherwise."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a number")
    return number

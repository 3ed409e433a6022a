"""A tiny progress line for long replays, imports and reports.

On a terminal it redraws one line in place, at most ``1 / interval`` times a
second::

    report  ███████████░░░░░░░░░░░░░  45%  450,112/1,000,000  3,120/s  ETA 2:56

When the total is unknown it shows the count and the rate only. When the
stream is not a terminal (a pipe, a file, CI logs) it prints nothing at all,
so logs and ``--out -`` stay clean.

The clock and the terminal test are injectable, so tests drive it without
sleeping and without a real terminal::

    with Progress(total, "report") as bar:
        for record in records:
            ...
            bar.update()
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

__all__ = ["Progress", "format_duration"]

_BAR_WIDTH = 24
_FULL = "█"
_EMPTY = "░"
# Carriage return, then the text, then "erase to the end of the line".
_CLEAR_EOL = "\x1b[K"


def format_duration(seconds: float) -> str:
    """``75`` → ``'1:15'``, ``3700`` → ``'1:01:40'``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _format_rate(rate: float) -> str:
    if rate >= 100:
        return f"{rate:,.0f}/s"
    return f"{rate:.1f}/s"


class Progress:
    """Count, rate and ETA on one redrawn terminal line; silent elsewhere.

    ``total`` may be ``None`` (unknown) or set later with :meth:`set_total`.
    ``update`` is cheap enough to call once per record: it only looks at the
    clock, and draws when ``interval`` seconds have passed since the last draw.
    """

    __slots__ = (
        "_clock",
        "_closed",
        "_count",
        "_drawn_at",
        "_enabled",
        "_interval",
        "_label",
        "_started",
        "_stream",
        "_total",
        "draws",
    )

    def __init__(
        self,
        total: int | None = None,
        label: str = "",
        *,
        stream: TextIO | None = None,
        is_tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.1,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if is_tty is None:
            try:
                is_tty = bool(self._stream.isatty())
            except (AttributeError, ValueError, OSError):
                is_tty = False
        self._enabled = is_tty
        self._total = total if total is not None and total > 0 else None
        self._label = label
        self._clock = clock
        self._interval = interval
        self._count = 0
        self._started = clock()
        self._drawn_at = -float("inf")
        self._closed = False
        #: How many times the line was drawn (for tests and curiosity).
        self.draws = 0

    @property
    def enabled(self) -> bool:
        """True when output goes to a terminal."""
        return self._enabled

    @property
    def count(self) -> int:
        return self._count

    @property
    def total(self) -> int | None:
        return self._total

    def set_total(self, total: int | None) -> None:
        self._total = total if total is not None and total > 0 else None

    def update(self, n: int = 1) -> None:
        """Add ``n`` to the count; redraw if the last draw is old enough."""
        self._count += n
        if not self._enabled or self._closed:
            return
        now = self._clock()
        if now - self._drawn_at >= self._interval:
            self._draw(now)

    def close(self) -> None:
        """Draw the final state and end the line. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._enabled:
            self._draw(self._clock())
            self._stream.write("\n")
            self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- drawing ------------------------------------------------------------

    def line(self, now: float | None = None) -> str:
        """The progress text as it would be drawn at ``now``."""
        if now is None:
            now = self._clock()
        elapsed = max(now - self._started, 1e-9)
        rate = self._count / elapsed
        parts = [self._label] if self._label else []
        total = self._total
        if total is not None:
            done = min(self._count / total, 1.0)
            filled = int(done * _BAR_WIDTH)
            parts.append(_FULL * filled + _EMPTY * (_BAR_WIDTH - filled))
            parts.append(f"{done:4.0%}")
            parts.append(f"{self._count:,}/{total:,}")
        else:
            parts.append(f"{self._count:,}")
        parts.append(_format_rate(rate))
        if total is not None:
            left = max(total - self._count, 0)
            if self._count > 0 and rate > 0:
                parts.append(f"ETA {format_duration(left / rate)}")
            else:
                parts.append("ETA --:--")
        parts.append(f"[{format_duration(elapsed)}]")
        return "  ".join(parts)

    def _draw(self, now: float) -> None:
        text = self.line(now)
        self._stream.write("\r" + text + _CLEAR_EOL)
        self._stream.flush()
        self._drawn_at = now
        self.draws += 1

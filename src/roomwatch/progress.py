"""The progress line of long replays, imports and reports: tqdm, set up once.

On a terminal it redraws one line in place, at most ``1 / interval`` times a
second::

    report  ███████████░░░░░░░░░░░░░   45%  450,112/1,000,000  3.12k/s  ETA 02:56  [00:10]

When the total is unknown it shows the count, the rate and the time so far.
When the stream is not a terminal (a pipe, a file, CI logs) it prints nothing
at all, so logs and ``--out -`` stay clean.

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
from typing import Any, TextIO

from tqdm import tqdm

__all__ = ["Progress"]


class _Tqdm(tqdm):  # type: ignore[misc]  # tqdm ships no type hints
    """tqdm without its monitor thread: the line is redrawn from ``update`` only."""

    monitor_interval = 0

    @property
    def format_dict(self) -> dict[str, Any]:
        # Exact counts with thousands separators ({n_fmt} would say "5.00" and
        # "450k" with unit_scale, which the rate keeps: "3.12k/s").
        fields: dict[str, Any] = super().format_dict
        fields["count"] = f"{self.n:,}"
        fields["of"] = f"{self.total:,}" if self.total else "?"
        return fields


def _formats(label: str) -> tuple[str, str]:
    """tqdm bar formats (total known, total unknown) for a line that starts with ``label``."""
    head = "{desc}  " if label else ""
    known = (
        head + "{bar:24}  {percentage:3.0f}%  {count}/{of}  {rate_noinv_fmt}  "
        "ETA {remaining}  [{elapsed}]"
    )
    unknown = head + "{count}  {rate_noinv_fmt}  [{elapsed}]"
    return known, unknown


class Progress:
    """Count, rate and ETA on one redrawn terminal line; silent elsewhere.

    ``total`` may be ``None`` (unknown) or set later with :meth:`set_total`.
    ``update`` is cheap enough to call once per record: it looks at the clock,
    and draws when ``interval`` seconds have passed since the last draw.
    """

    __slots__ = ("_bar", "_enabled", "_formats")

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
        stream = stream if stream is not None else sys.stderr
        if is_tty is None:
            try:
                is_tty = bool(stream.isatty())
            except (AttributeError, ValueError, OSError):
                is_tty = False
        self._enabled = is_tty
        self._formats = _formats(label)
        total = total if total is not None and total > 0 else None
        self._bar = _Tqdm(
            total=total,
            desc=label,
            file=stream,
            disable=not is_tty,
            mininterval=interval,
            miniters=1,  # look at the clock on every update, draw by time alone
            smoothing=0,  # the rate is the average since the start
            unit="",
            unit_scale=True,
            ascii="░█",
            bar_format=self._formats[0 if total else 1],
        )
        for attr in ("ncols", "nrows") if is_tty else ():
            # A terminal nobody sized (script(1), CI runners, `docker exec -t`)
            # reports 0 or -1 columns and rows; tqdm would then trim the line
            # to nothing and take it for below the last row, and draw nothing
            # at all. An unknown size means: draw the whole line.
            size = getattr(self._bar, attr, None)
            if size is not None and size <= 0:
                setattr(self._bar, attr, None)
        if is_tty:
            # tqdm's own test suite swaps its clock the same way (its cpu_timify helper).
            self._bar._time = clock
            self._bar.start_t = self._bar.last_print_t = clock()

    @property
    def enabled(self) -> bool:
        """True when output goes to a terminal."""
        return self._enabled

    @property
    def total(self) -> int | None:
        total: int | None = self._bar.total
        return total

    def set_total(self, total: int | None) -> None:
        total = total if total is not None and total > 0 else None
        self._bar.total = total
        self._bar.bar_format = self._formats[0 if total else 1]

    def update(self, n: int = 1) -> None:
        """Add ``n`` to the count; redraw if the last draw is old enough."""
        self._bar.update(n)

    def line(self) -> str:
        """The progress text as it would be drawn now."""
        return str(self._bar)

    def close(self) -> None:
        """Draw the final state and end the line. Idempotent."""
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

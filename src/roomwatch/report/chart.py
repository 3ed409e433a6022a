"""The geometry of the report's stacked bar charts; ``templates/chart.svg.j2`` draws it.

The report's buckets are merged into at most ``MAX_BINS`` chart bins, and
:func:`stack_chart` works out where every bar, tick, sentiment point and alert
marker goes. The numbers stay floats here; the template formats them, so the
SVG's bytes are decided in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from roomwatch.core.alerts import SEVERITY_RANK
from roomwatch.core.classify import LABELS
from roomwatch.report.values import Bucket

__all__ = ["COLORS", "STACK", "Bin", "StackChart", "bins", "duration", "stack_chart"]

#: Label colours, the same as the live pages (``web/static/rw.css``).
COLORS: Final = {
    "question": "#4aa8ff",
    "grievance": "#f5a524",
    "abuse": "#ff5470",
    "spam": "#b37feb",
    "chatter": "#6b7785",
}
SEVERITY_COLORS: Final = {"critical": "#ff3b3b", "warning": "#ffd166", "info": "#8a97a6"}
# Bottom to top in the stacked bars: the rare, important labels sit on top.
STACK: Final = ("chatter", "question", "grievance", "spam", "abuse")
_BIN_CHOICES: Final = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_TICK_CHOICES: Final = (
    60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip
MAX_BINS: Final = 180
_WIDTH: Final = 1100


@dataclass(frozen=True, slots=True)
class Bin:
    start: float
    counts: Mapping[str, int]
    typed: int
    sentiment: float | None


def bins(buckets: Sequence[Bucket], bucket_s: float) -> tuple[list[Bin], float]:
    """Merge the report's buckets into at most ``MAX_BINS`` chart bins."""
    if not buckets:
        return [], 60.0
    first = buckets[0].start
    last = buckets[-1].start + buckets[-1].width
    span = max(last - first, bucket_s)
    width = next(
        (w for w in _BIN_CHOICES if w >= bucket_s and span / w <= MAX_BINS),
        max(bucket_s, math.ceil(span / MAX_BINS / 86400) * 86400.0),
    )
    origin = math.floor(first / width) * width
    n = math.ceil((last - origin) / width)
    counts = [dict.fromkeys(LABELS, 0) for _ in range(n)]
    sent = [0.0] * n
    typed = [0] * n
    for b in buckets:
        i = min(int((b.start - origin) // width), n - 1)
        for label, c in b.counts.items():
            counts[i][label] = counts[i].get(label, 0) + c
        if b.sentiment is not None and b.typed:
            sent[i] += b.sentiment * b.typed
            typed[i] += b.typed
    out = [
        Bin(origin + i * width, counts[i], typed[i], sent[i] / typed[i] if typed[i] else None)
        for i in range(n)
    ]
    return out, float(width)


def _nice_ceiling(x: float) -> tuple[float, float]:
    """A round axis maximum ≥ x and its tick step (about four ticks)."""
    if x <= 0:
        return 1.0, 0.25
    raw = x / 4
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if step >= raw:
            break
    return step * math.ceil(x / step), step


def _fmt_axis(v: float) -> str:
    if v == int(v):
        return f"{int(v):,}"
    return f"{v:g}"


def duration(seconds: float) -> str:
    """A bin width in words: ``'minute'``, ``'5 minutes'``, ``'2 hours'``."""
    if seconds % 86400 == 0:
        n = int(seconds // 86400)
        return f"{n} day" + ("s" if n > 1 else "")
    if seconds % 3600 == 0:
        n = int(seconds // 3600)
        return f"{n} hour" + ("s" if n > 1 else "")
    if seconds % 60 == 0:
        n = int(seconds // 60)
        return "minute" if n == 1 else f"{n} minutes"
    return f"{seconds:g} s"


def _marker_label(numbers: Sequence[int]) -> str:
    numbers = sorted(numbers)
    if len(numbers) == 1:
        return f"A{numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"A{numbers[0]}–A{numbers[-1]}"
    return ", ".join(f"A{n}" for n in numbers)


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    color: str


@dataclass(frozen=True, slots=True)
class Bar:
    tip: str
    rects: list[Rect]


@dataclass(frozen=True, slots=True)
class Marker:
    """Alerts opened within a few pixels of each other, under one triangle."""

    tip: str
    x: float
    color: str
    label: str
    #: (x, colour) of each alert's dashed line.
    lines: list[tuple[float, str]]


@dataclass(frozen=True, slots=True)
class StackChart:
    title: str
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    #: (y, label) of each horizontal grid line.
    grid: list[tuple[float, str]]
    bars: list[Bar]
    #: (x, label) of each time tick.
    ticks: list[tuple[float, str]]
    zone: str
    per: str
    #: The right axis, or None for a chart without sentiment.
    sentiment: Sentiment | None
    markers: list[Marker]
    width: int = _WIDTH


@dataclass(frozen=True, slots=True)
class Sentiment:
    #: (y, value) of the three labels on the right axis.
    ticks: list[tuple[float, float]]
    zero_y: float
    #: Runs of consecutive bins with a sentiment, as (x, y) points.
    segments: list[list[tuple[float, float]]]


class ChartClock(Protocol):
    """What :func:`stack_chart` needs of the report's clock."""

    def hm(self, ts: float) -> str: ...

    def offset(self, ts: float) -> float: ...

    def zone(self) -> str: ...


def stack_chart(
    chart_bins: Sequence[Bin],
    bin_s: float,
    clock: ChartClock,
    *,
    labels: Sequence[str] = STACK,
    height: int = 300,
    sentiment: bool = True,
    alerts: Sequence[tuple[int, float, str, str]] = (),
    title: str = "",
) -> StackChart | None:
    """Stacked per-minute bars by label, a sentiment line and alert markers; None if empty."""
    if not chart_bins:
        return None
    left, right, top, bottom = 62, 58 if sentiment else 20, 26, 44
    plot_w = _WIDTH - left - right
    plot_h = height - top - bottom
    t0 = chart_bins[0].start
    t1 = chart_bins[-1].start + bin_s
    per_min = 60.0 / bin_s
    peak = max(sum(b.counts.get(lb, 0) for lb in labels) * per_min for b in chart_bins)
    ymax, ystep = _nice_ceiling(peak)

    def x(ts: float) -> float:
        return left + (ts - t0) / (t1 - t0) * plot_w

    def y(v: float) -> float:
        return top + plot_h - v / ymax * plot_h

    grid: list[tuple[float, str]] = []
    v = 0.0
    while v <= ymax + 1e-9:
        grid.append((y(v), _fmt_axis(v)))
        v += ystep
    bar_w = max(plot_w / len(chart_bins) - (1.0 if len(chart_bins) < 120 else 0.3), 0.6)
    bars: list[Bar] = []
    for b in chart_bins:
        total = sum(b.counts.get(lb, 0) for lb in labels)
        if total == 0:
            continue
        bx = x(b.start) + 0.5
        rate = total * per_min  # (whole numbers once there are ten a minute)
        shown = f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"
        tip = f"{clock.hm(b.start)}: {shown}/min — " + ", ".join(
            f"{lb} {b.counts.get(lb, 0):,}" for lb in reversed(labels) if b.counts.get(lb, 0)
        )
        if b.sentiment is not None and sentiment:
            tip += f"; sentiment {b.sentiment:+.2f}"
        rects: list[Rect] = []
        acc = 0.0
        for lb in labels:
            c = b.counts.get(lb, 0)
            if not c:
                continue
            y_top = y((acc + c) * per_min)
            h = y(acc * per_min) - y_top
            rects.append(Rect(bx, y_top, bar_w, max(h, 0.5), COLORS[lb]))
            acc += c
        bars.append(Bar(tip, rects))
    span = t1 - t0
    tick = next((s for s in _TICK_CHOICES if span / s <= 10), _TICK_CHOICES[-1])
    offset = clock.offset(t0)
    ticks: list[tuple[float, str]] = []
    tt = math.ceil((t0 + offset) / tick) * tick - offset
    while tt <= t1 + 1e-6:
        ticks.append((x(tt), clock.hm(tt)))
        tt += tick
    return StackChart(
        title=title,
        height=height,
        left=left,
        top=top,
        plot_w=plot_w,
        plot_h=plot_h,
        grid=grid,
        bars=bars,
        ticks=ticks,
        zone=clock.zone(),
        per=duration(bin_s),
        sentiment=_sentiment(chart_bins, bin_s, x, top, plot_h) if sentiment else None,
        markers=_markers(alerts, t0, t1, x),
    )


def _sentiment(
    chart_bins: Sequence[Bin], bin_s: float, x: Callable[[float], float], top: int, plot_h: int
) -> Sentiment:
    values = [b.sentiment for b in chart_bins if b.sentiment is not None]
    smax = max((abs(s) for s in values), default=0.0)
    srange = min(max(math.ceil(smax * 4 - 1e-9) / 4, 0.25), 1.0)

    def sy(s: float) -> float:
        return top + plot_h / 2 - s / srange * plot_h / 2

    segment: list[tuple[float, float]] = []
    segments: list[list[tuple[float, float]]] = []
    for b in chart_bins:
        if b.sentiment is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append((x(b.start + bin_s / 2), sy(b.sentiment)))
    if segment:
        segments.append(segment)
    return Sentiment([(sy(s), s) for s in (-srange, 0.0, srange)], sy(0), segments)


def _markers(
    alerts: Sequence[tuple[int, float, str, str]],
    t0: float,
    t1: float,
    x: Callable[[float], float],
) -> list[Marker]:
    groups: list[list[tuple[int, float, str, str]]] = []
    for marker in sorted(alerts, key=lambda m: (m[1], m[0])):
        if not t0 <= marker[1] <= t1:
            continue
        if groups and x(marker[1]) - x(groups[-1][0][1]) < 36:
            groups[-1].append(marker)
        else:
            groups.append([marker])
    out: list[Marker] = []
    for group in groups:
        worst = max(group, key=lambda m: SEVERITY_RANK.get(m[2], 0))[2]
        out.append(
            Marker(
                tip="\n".join(m[3] for m in group),
                x=x(group[0][1]),
                color=SEVERITY_COLORS.get(worst, "#8a97a6"),
                label=_marker_label([m[0] for m in group]),
                lines=[(x(ts), SEVERITY_COLORS.get(sev, "#8a97a6")) for _, ts, sev, _ in group],
            )
        )
    return out

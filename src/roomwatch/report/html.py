"""The report as one self-contained HTML file: inline CSS, inline SVG, no script.

Nothing in the file loads or runs anything: no scripts, no fonts, no images
other than inline SVG, and a Content-Security-Policy that forbids all of it
(``default-src 'none'; style-src 'unsafe-inline'; img-src data:``) in case an
escaping bug ever let markup through. Every text that came from a viewer
(comment, room name, alert summary) is HTML-escaped, stripped of control
characters and wrapped in ``<bdi>`` (``unicode-bidi: isolate``) so that a
right-to-left override cannot reorder the page around it.
"""

from __future__ import annotations

import html
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roomwatch import __version__
from roomwatch.core.alerts import SEVERITY_RANK
from roomwatch.core.classify import LABELS
from roomwatch.errors import ConfigError
from roomwatch.report.build import Bucket, Report

__all__ = ["COLORS", "parse_tz", "render", "render_html"]

#: Label colours, the same as the live pages (``web/static/rw.css``).
COLORS: Final = {
    "question": "#4aa8ff",
    "grievance": "#f5a524",
    "abuse": "#ff5470",
    "spam": "#b37feb",
    "chatter": "#6b7785",
}
LABEL_NAMES: Final = {
    "question": "question 提问",
    "grievance": "grievance 诉求",
    "abuse": "abuse 辱骂",
    "spam": "spam 广告",
    "chatter": "chatter 闲聊",
}
_SEVERITY_COLORS: Final = {"critical": "#ff3b3b", "warning": "#ffd166", "info": "#8a97a6"}
# Bottom to top in the stacked bars: the rare, important labels sit on top.
_STACK: Final = ("chatter", "question", "grievance", "spam", "abuse")
_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# C0/C1 controls except tab and newline; they have no business in a report.
_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides, isolates and marks: kept inside <bdi>,
# dropped where text cannot be isolated (attributes, SVG tooltips).
_BIDI: Final = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BIN_CHOICES: Final = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_TICK_CHOICES: Final = (
    60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip
_MAX_BINS: Final = 180

CSS: Final = """
:root { --bg:#101418; --panel:#182028; --line:#26313c; --fg:#e8edf2; --muted:#8a97a6;
  --question:#4aa8ff; --grievance:#f5a524; --abuse:#ff5470; --spam:#b37feb; --chatter:#6b7785;
  color-scheme: dark; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font:15px/1.45 system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",
  sans-serif; }
header { padding:1rem 1.5rem .6rem; background:var(--panel); border-bottom:1px solid var(--line); }
h1 { font-size:1.35rem; margin:0 0 .2rem; }
h2 { font-size:1.1rem; margin:0 0 .6rem; }
h2 small, .muted { color:var(--muted); font-weight:normal; }
nav { margin-top:.4rem; font-size:.85rem; }
nav a { color:var(--question); margin-right:.9rem; text-decoration:none; }
main { padding:1rem 1.5rem 2rem; max-width:1240px; }
section { background:var(--panel); border-radius:8px; padding:1rem 1.2rem; margin:0 0 1rem; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(120px,1fr)); gap:.7rem;
  background:none; padding:0; }
.card { background:var(--panel); border-radius:8px; padding:.7rem 1rem; }
.card b { display:block; font-size:1.5rem; line-height:1.2; white-space:nowrap; }
.card span { color:var(--muted); font-size:.85rem; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit,minmax(420px,1fr)); gap:1rem;
  background:none; padding:0; }
.grid2 > div { background:var(--panel); border-radius:8px; padding:1rem 1.2rem; min-width:0; }
table { border-collapse:collapse; width:100%; font-size:.9rem; }
th, td { text-align:left; padding:.3rem .5rem; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:.8rem; }
td.room, td.nw { white-space:nowrap; }
td.room bdi { display:inline-block; max-width:16rem; overflow:hidden; text-overflow:ellipsis;
  vertical-align:bottom; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td { overflow-wrap:anywhere; }
.t, bdi { unicode-bidi:isolate; overflow-wrap:anywhere; }
.sw { display:inline-block; width:.8em; height:.8em; border-radius:2px; margin-right:.35em;
  vertical-align:-.05em; }
.legend { display:flex; flex-wrap:wrap; gap:1rem; font-size:.85rem; margin:.2rem 0 .5rem; }
.legend .line { display:inline-block; width:1.4em; border-top:2px solid #e8edf2;
  vertical-align:.3em; margin-right:.35em; }
.legend .mark { color:#ffd166; margin-right:.3em; }
.chart { width:100%; height:auto; display:block; }
.sharebar { display:flex; height:14px; border-radius:3px; overflow:hidden; margin:.3rem 0 .8rem; }
.sharebar i { display:block; height:100%; }
.bar { display:inline-block; height:.7em; border-radius:2px; vertical-align:middle;
  margin-right:.4em; }
ul.samples { margin:.2rem 0 0; padding-left:1.1rem; }
ul.samples li { margin:.1rem 0; }
.pill { display:inline-block; border-radius:4px; padding:0 .4em; font-size:.8rem;
  background:#243240; margin:0 .25em .15em 0; }
.sev-critical { color:#ff3b3b; font-weight:700; } .sev-warning { color:#ffd166; font-weight:600; }
.sev-info { color:var(--muted); }
code, .hash { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:.85em; }
footer { color:var(--muted); font-size:.8rem; padding:0 1.5rem 2rem; }
footer table { width:auto; }
.empty { color:var(--muted); font-style:italic; }
@media print {
  :root { --bg:#fff; --panel:#fff; --fg:#111; --muted:#555; --line:#ccc; color-scheme:light; }
  section, .card, .grid2 > div { border:1px solid #ccc; break-inside:avoid; }
  nav { display:none; }
}
"""


# --------------------------------------------------------------------------- text helpers


def _clean(text: object) -> str:
    return _CONTROLS.sub("", str(text))


def esc(text: object) -> str:
    """Escape for HTML text and attribute values; controls and bidi overrides removed."""
    return html.escape(_BIDI.sub("", _clean(text)), quote=True)


def viewer(text: object, cls: str = "t") -> str:
    """Viewer-supplied text: escaped and isolated from the surrounding direction."""
    return f'<bdi class="{cls}">{html.escape(_clean(text), quote=True)}</bdi>'


def _n(x: int | float) -> str:
    return f"{x:,.0f}"


def parse_tz(value: str | None) -> tzinfo:
    """A time zone from ``"Asia/Shanghai"``, ``"+08:00"``, ``"-05:30"``, ``"8"`` or ``"UTC"``."""
    if value is None or value.strip().upper() in ("", "UTC", "Z", "GMT"):
        return UTC
    text = value.strip()
    m = re.fullmatch(r"(?:UTC)?\s*([+-]?)(\d{1,2})(?::?(\d{2}))?", text, re.IGNORECASE)
    if m is None:
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"unknown time zone {value!r}; use a name such as 'Asia/Shanghai' "
                "or an offset such as '+08:00'"
            ) from None
    sign = -1 if m.group(1) == "-" else 1
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes >= 60:
        raise ConfigError(f"time zone offset {value!r} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@dataclass(frozen=True, slots=True)
class _Clock:
    tz: tzinfo
    multi_day: bool
    #: Any moment of the show, to name the zone's offset then.
    at: float = 0.0

    def dt(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.tz)

    def hm(self, ts: float) -> str:
        fmt = "%m-%d %H:%M" if self.multi_day else "%H:%M"
        return self.dt(ts).strftime(fmt)

    def hms(self, ts: float) -> str:
        fmt = "%m-%d %H:%M:%S" if self.multi_day else "%H:%M:%S"
        return self.dt(ts).strftime(fmt)

    def full(self, ts: float) -> str:
        return self.dt(ts).strftime("%Y-%m-%d %H:%M")

    def offset(self, ts: float) -> float:
        delta = self.dt(ts).utcoffset()
        return 0.0 if delta is None else delta.total_seconds()

    def zone(self) -> str:
        total = int(self.offset(self.at) // 60)
        sign = "-" if total < 0 else "+"
        hours, minutes = divmod(abs(total), 60)
        name = f"UTC{sign}{hours:02d}:{minutes:02d}"
        key = getattr(self.tz, "key", None)
        return f"{key}, {name}" if isinstance(key, str) else name


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True, slots=True)
class _Bin:
    start: float
    counts: Mapping[str, int]
    typed: int
    sentiment: float | None


def _bins(buckets: Sequence[Bucket], bucket_s: float) -> tuple[list[_Bin], float]:
    """Merge the report's buckets into at most ``_MAX_BINS`` chart bins."""
    if not buckets:
        return [], 60.0
    first = buckets[0].start
    last = buckets[-1].start + buckets[-1].width
    span = max(last - first, bucket_s)
    width = next(
        (w for w in _BIN_CHOICES if w >= bucket_s and span / w <= _MAX_BINS),
        max(bucket_s, math.ceil(span / _MAX_BINS / 86400) * 86400.0),
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
        _Bin(origin + i * width, counts[i], typed[i], sent[i] / typed[i] if typed[i] else None)
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


def _stack_chart(
    bins: Sequence[_Bin],
    bin_s: float,
    clock: _Clock,
    *,
    labels: Sequence[str] = _STACK,
    height: int = 300,
    sentiment: bool = True,
    alerts: Sequence[tuple[int, float, str, str]] = (),
    title: str = "",
) -> str:
    """Stacked per-minute bars by label, a sentiment line and alert markers."""
    width = 1100
    left, right, top, bottom = 62, 58 if sentiment else 20, 26, 44
    plot_w = width - left - right
    plot_h = height - top - bottom
    if not bins:
        return f'<p class="empty">No data for {esc(title) or "this chart"}.</p>'
    t0 = bins[0].start
    t1 = bins[-1].start + bin_s
    per_min = 60.0 / bin_s
    peak = max(sum(b.counts.get(lb, 0) for lb in labels) * per_min for b in bins)
    ymax, ystep = _nice_ceiling(peak)

    def x(ts: float) -> float:
        return left + (ts - t0) / (t1 - t0) * plot_w

    def y(v: float) -> float:
        return top + plot_h - v / ymax * plot_h

    parts: list[str] = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{esc(title)}" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{esc(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#182028"/>',
    ]
    # Horizontal grid and left axis.
    v = 0.0
    while v <= ymax + 1e-9:
        yy = y(v)
        parts.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{left + plot_w}" y2="{yy:.1f}" '
            f'stroke="#26313c" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" fill="#8a97a6" text-anchor="end">'
            f"{_fmt_axis(v)}</text>"
        )
        v += ystep
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.0f}" fill="#8a97a6" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">comments / min</text>'
    )
    # Bars.
    bar_w = max(plot_w / len(bins) - (1.0 if len(bins) < 120 else 0.3), 0.6)
    for b in bins:
        total = sum(b.counts.get(lb, 0) for lb in labels)
        if total == 0:
            continue
        bx = x(b.start) + 0.5
        tip = f"{clock.hm(b.start)}: {total * per_min:,.1f}/min — " + ", ".join(
            f"{lb} {b.counts.get(lb, 0):,}" for lb in reversed(labels) if b.counts.get(lb, 0)
        )
        if b.sentiment is not None and sentiment:
            tip += f"; sentiment {b.sentiment:+.2f}"
        parts.append(f"<g><title>{esc(tip)}</title>")
        acc = 0.0
        for lb in labels:
            c = b.counts.get(lb, 0)
            if not c:
                continue
            y_top = y((acc + c) * per_min)
            h = y(acc * per_min) - y_top
            parts.append(
                f'<rect x="{bx:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" '
                f'height="{max(h, 0.5):.1f}" fill="{COLORS[lb]}"/>'
            )
            acc += c
        parts.append("</g>")
    # Time axis.
    span = t1 - t0
    tick = next((s for s in _TICK_CHOICES if span / s <= 10), _TICK_CHOICES[-1])
    offset = clock.offset(t0)
    first_tick = math.ceil((t0 + offset) / tick) * tick - offset
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#8a97a6" stroke-width="1"/>'
    )
    tt = first_tick
    while tt <= t1 + 1e-6:
        xx = x(tt)
        parts.append(
            f'<line x1="{xx:.1f}" y1="{top + plot_h}" x2="{xx:.1f}" y2="{top + plot_h + 5}" '
            'stroke="#8a97a6"/>'
        )
        parts.append(
            f'<text x="{xx:.1f}" y="{top + plot_h + 18}" fill="#8a97a6" text-anchor="middle">'
            f"{esc(clock.hm(tt))}</text>"
        )
        tt += tick
    parts.append(
        f'<text x="{left + plot_w}" y="{height - 4}" fill="#8a97a6" text-anchor="end">'
        f"time ({esc(clock.zone())}), bars per {_duration(bin_s)}</text>"
    )
    # Sentiment line on the right axis.
    if sentiment:
        values = [b.sentiment for b in bins if b.sentiment is not None]
        smax = max((abs(s) for s in values), default=0.0)
        srange = min(max(math.ceil(smax * 4 - 1e-9) / 4, 0.25), 1.0)

        def sy(s: float) -> float:
            return top + plot_h / 2 - s / srange * plot_h / 2

        for s in (-srange, 0.0, srange):
            parts.append(
                f'<text x="{left + plot_w + 6}" y="{sy(s) + 4:.1f}" fill="#e8edf2" '
                f'text-anchor="start">{s:+.2f}</text>'
            )
        parts.append(
            f'<line x1="{left}" y1="{sy(0):.1f}" x2="{left + plot_w}" y2="{sy(0):.1f}" '
            'stroke="#e8edf2" stroke-opacity=".35" stroke-dasharray="4 4"/>'
        )
        parts.append(
            f'<text x="{width - 10}" y="{top + plot_h / 2:.0f}" fill="#e8edf2" '
            f'text-anchor="middle" transform="rotate(90 {width - 10} {top + plot_h / 2:.0f})">'
            "mean sentiment</text>"
        )
        segment: list[str] = []
        segments: list[list[str]] = []
        for b in bins:
            if b.sentiment is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(b.start + bin_s / 2):.1f},{sy(b.sentiment):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) == 1:
                cx, cy = seg[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="#e8edf2"/>')
            else:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="#e8edf2" '
                    'stroke-width="1.8" stroke-linejoin="round"/>'
                )
    # Alert markers; alerts opened within a few pixels of each other share one.
    groups: list[list[tuple[int, float, str, str]]] = []
    for marker in sorted(alerts, key=lambda m: (m[1], m[0])):
        if not t0 <= marker[1] <= t1:
            continue
        if groups and x(marker[1]) - x(groups[-1][0][1]) < 36:
            groups[-1].append(marker)
        else:
            groups.append([marker])
    for group in groups:
        worst = max(group, key=lambda m: SEVERITY_RANK.get(m[2], 0))[2]
        color = _SEVERITY_COLORS.get(worst, "#8a97a6")
        xx = x(group[0][1])
        parts.append(f"<g><title>{esc(chr(10).join(m[3] for m in group))}</title>")
        for _, ts, severity, _ in group:
            parts.append(
                f'<line x1="{x(ts):.1f}" y1="{top - 8}" x2="{x(ts):.1f}" y2="{top + plot_h}" '
                f'stroke="{_SEVERITY_COLORS.get(severity, "#8a97a6")}" stroke-width="1.5" '
                'stroke-dasharray="3 3"/>'
            )
        parts.append(
            f'<path d="M{xx - 6:.1f},{top - 20} L{xx + 6:.1f},{top - 20} L{xx:.1f},{top - 9} Z" '
            f'fill="{color}"/>'
        )
        parts.append(
            f'<text x="{xx + 8:.1f}" y="{top - 10}" fill="{color}" font-size="11">'
            f"{esc(_marker_label([m[0] for m in group]))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _marker_label(numbers: Sequence[int]) -> str:
    numbers = sorted(numbers)
    if len(numbers) == 1:
        return f"A{numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"A{numbers[0]}–A{numbers[-1]}"
    return ", ".join(f"A{n}" for n in numbers)


def _duration(seconds: float) -> str:
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


def _legend(labels: Iterable[str], *, line: bool = False, alerts: bool = False) -> str:
    items = [
        f'<span><i class="sw" style="background:{COLORS[lb]}"></i>{esc(LABEL_NAMES[lb])}</span>'
        for lb in labels
    ]
    if line:
        items.append('<span><i class="line"></i>mean sentiment (right axis)</span>')
    if alerts:
        items.append('<span><span class="mark">▼</span>alert opened (A1 … in the table)</span>')
    return '<div class="legend">' + "".join(items) + "</div>"


# --------------------------------------------------------------------------- sections


def _cards(report: Report, clock: _Clock) -> str:
    peak = report.peak
    cards = [
        (_n(report.total), "records analysed"),
        (_n(report.typed), "typed comments"),
        (
            f"{report.peak_per_min:,.0f}",
            "peak comments/min" + (f" at {clock.hm(peak.start)}" if peak is not None else ""),
        ),
        (
            "—" if report.sentiment is None else f"{report.sentiment:+.2f}",
            "mean sentiment",
        ),
        (_n(len(report.questions)), "top folded questions"),
        (_n(report.grievances), "grievances"),
        (_n(report.labels.get("abuse", 0) + report.labels.get("spam", 0)), "abuse + spam"),
        (_n(len(report.alerts)), "alerts"),
    ]
    return (
        '<section class="cards" id="figures">'
        + "".join(
            f'<div class="card"><b>{esc(value)}</b><span>{esc(what)}</span></div>'
            for value, what in cards
        )
        + "</section>"
    )


def _timeline(report: Report, clock: _Clock) -> str:
    bins, bin_s = _bins(report.buckets, report.bucket_s)
    markers = [
        (
            i + 1,
            a.started_at,
            a.severity,
            f"A{i + 1} {a.severity} {a.detector} at {clock.hms(a.started_at)}: {a.summary}",
        )
        for i, a in enumerate(report.alerts)
    ]
    chart = _stack_chart(bins, bin_s, clock, alerts=markers, title="Comments per minute by label")
    return (
        '<section id="timeline"><h2>Timeline <small>comments per minute by label, '
        f"mean sentiment, alerts ({esc(clock.zone())})</small></h2>"
        + _legend(LABELS, line=True, alerts=bool(markers))
        + chart
        + "</section>"
    )


def _summary(report: Report, clock: _Clock) -> str:
    shares = report.shares()
    total = max(report.total, 1)
    bar = "".join(
        f'<i style="width:{report.labels.get(lb, 0) / total * 100:.3f}%;'
        f'background:{COLORS[lb]}" title="{esc(lb)} {shares[lb]:.1f}%"></i>'
        for lb in LABELS
        if report.labels.get(lb, 0)
    )
    rows = "".join(
        f'<tr><td><i class="sw" style="background:{COLORS[lb]}"></i>{esc(LABEL_NAMES[lb])}</td>'
        f'<td class="n">{_n(report.labels.get(lb, 0))}</td>'
        f'<td class="n" data-share="{lb}">{shares[lb]:.1f}%</td></tr>'
        for lb in LABELS
    )
    peak = report.peak
    facts = [
        ("records analysed", _n(report.total)),
        ("typed comments", _n(report.typed)),
        ("skipped (bad or duplicate)", _n(sum(report.skipped.values()))),
    ]
    for reason, n in report.skipped.items():
        facts.append((f"  skipped: {reason}", _n(n)))
    if report.first_ts is not None and report.last_ts is not None:
        facts.append(
            (
                "record time",
                f"{clock.full(report.first_ts)} – {clock.hm(report.last_ts)}",
            )
        )
        facts.append(("duration", _duration_long(report.last_ts - report.first_ts)))
    if peak is not None:
        facts.append(
            ("peak rate", f"{report.peak_per_min:,.0f} comments/min at {clock.hm(peak.start)}")
        )
    if report.sentiment is not None:
        facts.append(("mean sentiment", f"{report.sentiment:+.3f}"))
    fact_rows = "".join(
        f"<tr><td class='room'>{esc(k)}</td><td class='n'>{esc(v)}</td></tr>" for k, v in facts
    )
    room_rows = "".join(
        f"<tr><td class='room'>{viewer(r.room)}</td><td class='n'>{_n(r.total)}</td>"
        + "".join(f"<td class='n'>{_n(r.counts.get(lb, 0))}</td>" for lb in LABELS)
        + f"<td class='n'>{esc(clock.hm(r.first_ts))}–{esc(clock.hm(r.last_ts))}</td></tr>"
        for r in report.rooms
    )
    if report.rooms_other:
        room_rows += (
            f"<tr><td colspan='8' class='muted'>and {_n(report.rooms_other)} smaller rooms</td>"
            "</tr>"
        )
    room_head = "".join(
        f"<th class='n'><i class='sw' style='background:{COLORS[lb]}'></i>{esc(lb)}</th>"
        for lb in LABELS
    )
    return (
        '<section class="grid2" id="summary"><div><h2>Summary</h2>'
        f'<div class="sharebar">{bar}</div>'
        "<table><thead><tr><th>label</th><th class='n'>verdicts</th><th class='n'>share</th>"
        f"</tr></thead><tbody>{rows}</tbody>"
        f"<tfoot><tr><th>total</th><th class='n'>{_n(report.total)}</th>"
        f"<th class='n'>{sum(shares.values()):.1f}%</th></tr></tfoot></table>"
        "</div>"
        f"<div><h2>Key facts</h2><table><tbody>{fact_rows}</tbody></table></div></section>"
        '<section id="rooms"><h2>Rooms</h2><table><thead><tr><th>room</th>'
        f"<th class='n'>records</th>{room_head}<th class='n'>time</th></tr></thead>"
        f"<tbody>{room_rows}</tbody></table></section>"
    )


def _duration_long(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    return f"{m} min {s:02d} s"


def _samples(samples: Iterable[str]) -> str:
    items = "".join(f"<li>{viewer(s)}</li>" for s in samples)
    return f'<ul class="samples">{items}</ul>' if items else ""


def _moments(report: Report, clock: _Clock) -> str:
    if not report.moments:
        body = '<p class="empty">No minute had a negative mean sentiment.</p>'
    else:
        rows = "".join(
            f"<tr><td class='n'>{esc(clock.hm(m.start))}</td><td class='room'>{viewer(m.room)}</td>"
            f"<td class='n'>{m.sentiment:+.2f}</td><td class='n'>{_n(m.typed)}</td>"
            f"<td>{_samples(s.text for s in m.samples)}</td></tr>"
            for m in report.moments
        )
        body = (
            "<table><thead><tr><th class='n'>minute</th><th>room</th>"
            "<th class='n'>mean sentiment</th><th class='n'>comments</th>"
            f"<th>what was said (most negative)</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return (
        '<section id="moments"><h2>Most negative moments <small>minutes of one room with at '
        f"least {esc(report.extra.get('moment_min_comments', ''))} typed comments, "
        f"lowest mean sentiment first</small></h2>{body}</section>"
    )


def _alerts(report: Report, clock: _Clock) -> str:
    if not report.alerts:
        body = '<p class="empty">No alerts were recorded for this show.</p>'
    else:
        rows = "".join(
            f"<tr><td class='n'>A{i + 1}</td>"
            f"<td class='nw sev-{esc(a.severity)}'>{esc(a.severity)}</td>"
            f"<td class='nw'>{esc(a.detector)}</td><td class='room'>{viewer(a.room)}</td>"
            f"<td class='n'>{esc(clock.hms(a.started_at))}</td>"
            f"<td class='n'>{esc(clock.hms(a.resolved_at)) if a.resolved_at else '—'}</td>"
            f"<td class='nw'>{esc(a.state)}</td><td>{viewer(a.summary)}</td></tr>"
            for i, a in enumerate(report.alerts)
        )
        body = (
            "<table><thead><tr><th class='n'>#</th><th>severity</th><th>detector</th>"
            "<th>room</th><th class='n'>opened</th><th class='n'>resolved</th><th>state</th>"
            f"<th>summary</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return f'<section id="alerts"><h2>Alerts</h2>{body}</section>'


def _questions(report: Report, clock: _Clock) -> str:
    shown = report.questions[:20]
    if not shown:
        body = '<p class="empty">No questions were asked.</p>'
    else:
        top = max(q.count for q in shown)
        rows = "".join(
            f"<tr><td class='n'>{i + 1}</td><td>{viewer(q.text)}"
            + (
                "<div class='muted'>also: "
                + " · ".join(viewer(w) for w in q.wordings[:3])
                + "</div>"
                if q.wordings
                else ""
            )
            + "".join(f"<span class='pill'>{esc(k)}={viewer(v)}</span>" for k, v in q.slots.items())
            + f"</td><td class='room'>{viewer(q.room)}</td>"
            f"<td class='n'><i class='bar' style='width:{q.count / top * 80:.0f}px;"
            f"background:{COLORS['question']}'></i>{_n(q.count)}</td>"
            f"<td class='n'>{_n(q.askers)}</td>"
            f"<td class='n'>{esc(clock.hm(q.peak_start))} <span class='muted'>"
            f"({_n(q.peak_count)}/min)</span></td>"
            f"<td class='n'>{esc(clock.hm(q.first_seen))}–{esc(clock.hm(q.last_seen))}</td>"
            "</tr>"
            for i, q in enumerate(shown)
        )
        body = (
            "<table><thead><tr><th class='n'>#</th><th>question (most common wording)</th>"
            "<th>room</th><th class='n'>asks</th><th class='n'>askers</th>"
            "<th class='n'>peak</th><th class='n'>asked</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return (
        '<section id="questions"><h2>Top folded questions <small>questions folded by meaning, '
        "as in the host queue; peak = the minute with the most asks</small></h2>"
        f"{body}</section>"
    )


def _topics(report: Report, clock: _Clock) -> str:
    shown = report.topics[:12]
    if not shown:
        body = '<p class="empty">No grievances were raised.</p>'
    else:
        top = max(t.count for t in shown)
        rows = "".join(
            "<tr><td>"
            + " ".join(f"<span class='pill'>{viewer(term)}</span>" for term in t.terms)
            + f"</td><td class='n'><i class='bar' style='width:{t.count / top * 80:.0f}px;"
            f"background:{COLORS['grievance']}'></i>{_n(t.count)}</td>"
            f"<td class='n'>{t.count / max(report.grievances, 1):.0%}</td>"
            f"<td class='n'>{t.sentiment:+.2f}</td>"
            f"<td>{', '.join(viewer(r) for r in list(t.rooms)[:3])}</td>"
            f"<td class='n'>{esc(clock.hm(t.first_ts))}–{esc(clock.hm(t.last_ts))}</td>"
            f"<td>{_samples(s.text for s in t.samples)}</td></tr>"
            for t in shown
        )
        body = (
            "<table><thead><tr><th>topic (top words)</th><th class='n'>grievances</th>"
            "<th class='n'>share</th><th class='n'>sentiment</th><th>rooms</th>"
            f"<th class='n'>time</th><th>samples</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    note = ""
    if report.grievances_unclustered:
        note = (
            f"<p class='muted'>{_n(report.grievances_unclustered)} grievances fell in small "
            "one-off clusters that were not kept.</p>"
        )
    return (
        '<section id="grievances"><h2>Grievance topics <small>'
        f"{_n(report.grievances)} grievances, grouped by their salient words; grievances are "
        f"routed to people, never hidden</small></h2>{body}{note}</section>"
    )


def _abuse(report: Report, clock: _Clock) -> str:
    bins, bin_s = _bins(report.buckets, report.bucket_s)
    chart = _stack_chart(
        bins,
        bin_s,
        clock,
        labels=("spam", "abuse"),
        height=170,
        sentiment=False,
        title="Abuse and spam per minute",
    )
    abuse = report.labels.get("abuse", 0)
    spam = report.labels.get("spam", 0)
    accounts = _n(report.abuse_accounts) + ("+" if report.abuse_accounts_capped else "")
    volume = (
        f"<p><i class='sw' style='background:{COLORS['abuse']}'></i>abuse <b>{_n(abuse)}</b> "
        f"&nbsp; <i class='sw' style='background:{COLORS['spam']}'></i>spam <b>{_n(spam)}</b>"
        f" &nbsp; typed by <b>{accounts}</b> accounts &nbsp; "
        f"<span class='muted'>({(abuse + spam) / max(report.total, 1):.1%} of all records)"
        "</span></p>"
    )
    if report.accounts:
        acc_rows = "".join(
            f"<tr><td class='hash'>{esc(a.hashed)}</td><td class='room'>{viewer(a.room)}</td>"
            f"<td class='n'>{_n(a.count)}</td><td class='n'>{_n(a.labels.get('abuse', 0))}</td>"
            f"<td class='n'>{_n(a.labels.get('spam', 0))}</td>"
            f"<td class='n'>{esc(clock.hm(a.first_ts))}–{esc(clock.hm(a.last_ts))}</td>"
            f"<td>{viewer(a.sample)}</td></tr>"
            for a in report.accounts[:15]
        )
        accounts_table = (
            "<table><thead><tr><th>account (hashed)</th><th>room</th><th class='n'>flagged</th>"
            "<th class='n'>abuse</th><th class='n'>spam</th><th class='n'>time</th>"
            f"<th>first message</th></tr></thead><tbody>{acc_rows}</tbody></table>"
        )
    else:
        accounts_table = '<p class="empty">No abuse or spam from identified accounts.</p>'
    if report.raids:
        raid_rows = "".join(
            f"<tr><td class='n'>{esc(clock.hms(r.start))}</td>"
            f"<td class='room'>{viewer(r.room)}</td>"
            f"<td class='n'>{r.end - r.start:.0f} s</td><td class='n'>{_n(r.accounts)}</td>"
            f"<td class='n'>{_n(r.messages)}</td>"
            f"<td>{esc(', '.join(k for k, v in r.labels.items() if v))}</td>"
            f"<td>{_samples(r.samples)}"
            f"<div class='hash muted'>{esc(' '.join(r.hashed[:6]))}"
            f"{' …' if len(r.hashed) > 6 else ''}</div></td></tr>"
            for r in report.raids[:10]
        )
        raids_table = (
            "<table><thead><tr><th class='n'>start</th><th>room</th><th class='n'>lasted</th>"
            "<th class='n'>accounts</th><th class='n'>messages</th><th>label</th>"
            f"<th>text and accounts (hashed)</th></tr></thead><tbody>{raid_rows}</tbody></table>"
        )
    else:
        raids_table = '<p class="empty">No raids.</p>'
    return (
        '<section id="abuse"><h2>Abuse &amp; spam <small>accounts are shown as '
        "sha256(room, user id) prefixes, never their ids</small></h2>"
        + volume
        + _legend(("abuse", "spam"))
        + chart
        + "<h2 style='margin-top:1rem'>Top accounts</h2>"
        + accounts_table
        + "<h2 style='margin-top:1rem'>Raids <small>near-identical abuse or spam from at least "
        f"{esc(report.extra.get('raid_min_accounts', ''))} accounts, messages at most "
        f"{esc(report.extra.get('raid_gap_s', ''))} s apart</small></h2>"
        + raids_table
        + "</section>"
    )


def _footer(stamps: Mapping[str, str]) -> str:
    rows = "".join(
        f"<tr><td>{esc(k)}</td><td><code>{esc(v)}</code></td></tr>" for k, v in stamps.items()
    )
    return (
        f"<footer><h2>Stamps</h2><table><tbody>{rows}</tbody></table>"
        f"<p>roomwatch {esc(__version__)} · a self-contained file: no scripts, nothing loaded "
        "from the network.</p></footer>"
    )


# --------------------------------------------------------------------------- entry points


def render(
    report: Report,
    stamps: Mapping[str, str] | None = None,
    *,
    tz: tzinfo | str | None = "Asia/Shanghai",
    title: str = "roomwatch show report",
) -> str:
    """The whole report as an HTML string."""
    zone = parse_tz(tz) if tz is None or isinstance(tz, str) else tz
    multi_day = (
        report.first_ts is not None
        and report.last_ts is not None
        and datetime.fromtimestamp(report.first_ts, zone).date()
        != datetime.fromtimestamp(report.last_ts, zone).date()
    )
    clock = _Clock(zone, multi_day, report.first_ts or 0.0)
    rooms = ", ".join(viewer(r.room) for r in report.rooms[:4])
    if len(report.rooms) > 4 or report.rooms_other:
        rooms += f" and {_n(len(report.rooms) - 4 + report.rooms_other)} more"
    when = ""
    if report.first_ts is not None and report.last_ts is not None:
        when = (
            f"{esc(clock.full(report.first_ts))} – {esc(clock.hm(report.last_ts))} "
            f"{esc(clock.zone())}"
        )
    stamps = dict(stamps or {})
    body = "".join(
        (
            _cards(report, clock),
            _timeline(report, clock),
            _summary(report, clock),
            _moments(report, clock),
            _alerts(report, clock),
            _questions(report, clock),
            _topics(report, clock),
            _abuse(report, clock),
        )
    )
    nav = "".join(
        f'<a href="#{anchor}">{name}</a>'
        for anchor, name in (
            ("timeline", "Timeline"),
            ("summary", "Summary"),
            ("moments", "Negative moments"),
            ("alerts", "Alerts"),
            ("questions", "Questions"),
            ("grievances", "Grievances"),
            ("abuse", "Abuse &amp; spam"),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-Hans"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><div class='muted'>{rooms} · {when}</div>"
        f"<nav>{nav}</nav></header><main>{body}</main>{_footer(stamps)}</body></html>\n"
    )


def render_html(
    report: Report,
    path: str | os.PathLike[str],
    stamps: Mapping[str, str] | None = None,
    *,
    tz: tzinfo | str | None = "Asia/Shanghai",
    title: str = "roomwatch show report",
) -> Path:
    """Write the report to ``path`` (atomically: a temporary file, then rename)."""
    target = Path(path)
    text = render(report, stamps, tz=tz, title=title)
    data = text.encode("utf-8", "replace")
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target

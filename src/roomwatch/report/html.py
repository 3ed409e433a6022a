"""The report as one self-contained HTML file: inline CSS, inline SVG, no script.

Nothing in the file loads or runs anything: no scripts, no fonts, no images
other than inline SVG, and a Content-Security-Policy that forbids all of it
(``default-src 'none'; style-src 'unsafe-inline'; img-src data:``) in case an
escaping bug ever let markup through. Every text that came from a viewer
(comment, room name, alert summary) is HTML-escaped, stripped of control
characters and wrapped in ``<bdi>`` (``unicode-bidi: isolate``) so that a
right-to-left override cannot reorder the page around it.

The markup is in Jinja2 templates under ``templates/`` (shipped inside the
package), rendered with autoescape on: every ``{{ value }}`` is escaped, and no
template marks viewer text safe. Before escaping, :func:`_finalize` drops
control characters from every value, and bidi marks from every value except
viewer text inside the ``viewer`` macro's ``<bdi>``. This module computes what
the templates show; :mod:`roomwatch.report.chart` lays out the charts.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from jinja2.ext import Extension
from markupsafe import Markup, escape

from roomwatch.core.classify import LABELS
from roomwatch.core.errors import ConfigError
from roomwatch.report.chart import COLORS, bins, stack_chart
from roomwatch.report.values import Report
from roomwatch.version import __version__

__all__ = ["esc", "parse_tz", "render", "render_html"]

LABEL_NAMES: Final = {
    "question": "question 提问",
    "grievance": "grievance 诉求",
    "abuse": "abuse 辱骂",
    "spam": "spam 广告",
    "chatter": "chatter 闲聊",
}
_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# C0/C1 controls except tab and newline; they have no business in a report.
_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides, isolates and marks: kept inside <bdi>,
# dropped where text cannot be isolated (attributes, SVG tooltips).
_BIDI: Final = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# --------------------------------------------------------------------------- text helpers


class _Isolated(str):
    """Viewer text on its way into a ``<bdi>``: keeps its bidi marks (still escaped)."""

    __slots__ = ()


def _finalize(value: object) -> object:
    """Every ``{{ value }}`` passes here before autoescape: controls (and bidi marks) go."""
    if hasattr(value, "__html__"):
        return value  # markup the templates built (a macro's output)
    if isinstance(value, _Isolated):
        return _CONTROLS.sub("", value)
    return _BIDI.sub("", _CONTROLS.sub("", str(value)))


def esc(text: object) -> str:
    """``text`` as the report shows it outside ``<bdi>``: cleaned and HTML-escaped."""
    return str(escape(_finalize(text)))


def _n(x: int | float) -> str:
    return f"{x:,.0f}"


class _JoinLines(Extension):
    """Join each ``.j2`` template's lines without their indentation.

    The report has no newlines of its own, so its templates can be laid out
    for reading; a newline the output needs is written as ``{{ "\\n" }}``. The
    CSS is included as it is.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None or not name.endswith(".j2"):
            return source
        return "".join(line.strip() for line in source.splitlines())


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("roomwatch.report", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=[_JoinLines],
    )
    env.filters["fmt"] = format
    env.filters["isolated"] = lambda text: _Isolated(text)
    env.globals.update(
        COLORS=COLORS, LABELS=LABELS, LABEL_NAMES=LABEL_NAMES, SLOT_NAMES=SLOT_NAMES, n=_n
    )
    return env


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


#: A folded question's slots as the host view names them (link=3 reads 链接: 3).
SLOT_NAMES: Final = {
    "link": "链接", "size": "尺码", "colour": "颜色", "color": "颜色", "region": "地区",
    "price": "价格", "product": "商品", "day": "日期", "height": "身高", "weight": "体重",
    "spec": "规格", "who": "人群", "grade": "大小",
}  # fmt: skip


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


def _duration_long(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    return f"{m} min {s:02d} s"


# --------------------------------------------------------------------------- sections


def _cards(report: Report, clock: _Clock) -> list[tuple[str, str]]:
    peak = report.peak
    return [
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
        (_n(report.labels.get("question", 0)), "questions asked"),
        (_n(report.grievances), "grievances"),
        (_n(report.labels.get("abuse", 0) + report.labels.get("spam", 0)), "abuse + spam"),
        (_n(len(report.alerts)), "alerts"),
    ]


def _facts(report: Report, clock: _Clock) -> list[tuple[str, str]]:
    facts = [
        ("records analysed", _n(report.total)),
        ("typed comments", _n(report.typed)),
        ("skipped (bad or duplicate)", _n(sum(report.skipped.values()))),
    ]
    for reason, n in report.skipped.items():
        facts.append((f"  skipped: {reason}", _n(n)))
    if report.events:
        facts.append(("other events (not comments)", _n(sum(report.events.values()))))
        for kind, n in report.events.items():
            facts.append((f"  {kind}", _n(n)))
    if report.unreadable:
        facts.append(("lines of the files not read", _n(sum(report.unreadable.values()))))
        for reason, n in sorted(report.unreadable.items()):
            facts.append((f"  not read: {reason}", _n(n)))
    if report.first_ts is not None and report.last_ts is not None:
        facts.append(
            (
                "record time",
                f"{clock.full(report.first_ts)} – {clock.hm(report.last_ts)}",
            )
        )
        facts.append(("duration", _duration_long(report.last_ts - report.first_ts)))
    if report.peak is not None:
        facts.append(
            (
                "peak rate",
                f"{report.peak_per_min:,.0f} comments/min at {clock.hm(report.peak.start)}",
            )
        )
    if report.sentiment is not None:
        facts.append(("mean sentiment", f"{report.sentiment:+.3f}"))
    return facts


# --------------------------------------------------------------------------- entry points


def render(
    report: Report,
    stamps: Mapping[str, str] | None = None,
    *,
    tz: tzinfo | str | None = "Asia/Shanghai",
    title: str = "roomwatch room report",
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
    more_rooms = None
    if len(report.rooms) > 4 or report.rooms_other:
        more_rooms = len(report.rooms) - 4 + report.rooms_other
    chart_bins, bin_s = bins(report.buckets, report.bucket_s)
    markers = [
        (
            i + 1,
            a.started_at,
            a.severity,
            f"A{i + 1} {a.severity} {a.detector} at {clock.hms(a.started_at)}: {a.summary}",
        )
        for i, a in enumerate(report.alerts)
    ]
    context: dict[str, Any] = {
        "report": report,
        "clock": clock,
        "title": title,
        "csp": Markup(_CSP),  # a constant of ours, not viewer text
        "stamps": dict(stamps or {}),
        "version": __version__,
        "more_rooms": more_rooms,
        "cards": _cards(report, clock),
        "facts": _facts(report, clock),
        "shares": report.shares(),
        "share_base": max(sum(report.labels.values()), 1),
        "record_base": max(report.total, 1),
        "grievance_base": max(report.grievances, 1),
        "has_markers": bool(markers),
        "timeline_chart": stack_chart(
            chart_bins, bin_s, clock, alerts=markers, title="Comments per minute by label"
        ),
        "abuse_chart": stack_chart(
            chart_bins,
            bin_s,
            clock,
            labels=("spam", "abuse"),
            height=170,
            sentiment=False,
            title="Abuse and spam per minute",
        ),
    }
    return _environment().get_template("report.html.j2").render(context)


def render_html(
    report: Report,
    path: str | os.PathLike[str],
    stamps: Mapping[str, str] | None = None,
    *,
    tz: tzinfo | str | None = "Asia/Shanghai",
    title: str = "roomwatch room report",
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

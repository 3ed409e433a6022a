"""``roomwatch report``: recordings in, one self-contained HTML review report out.

::

    roomwatch report rec.jsonl.gz [more.jsonl ...] --out report.html \\
        [--config roomwatch.toml] [--alerts alerts.jsonl] [--room R] [--speed 0]

The recordings go through the real pipeline (the shipped or configured model,
the same batching as ``replay``), with a :class:`ReportBuilder` as its output.
Alert events (``--alerts``, one JSON object per line, as the ``alerts``
channel sends them) are added to the report; with ``live_alerts`` (what the
``roomwatch`` command line sets) the alert stage runs during the report and
feeds ``builder.add_alert``. The pipeline is built by
:func:`roomwatch.compose.build_pipeline`, like every command's.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from roomwatch.assets import asset_dir
from roomwatch.config import Settings, load_settings
from roomwatch.core.errors import ConfigError, RoomwatchError
from roomwatch.progress import Progress
from roomwatch.recordings import RecordingError, open_binary, sniff
from roomwatch.version import __version__

__all__ = [
    "ExtraOutputs",
    "ReportRun",
    "build_report",
    "count_records",
    "lexicon_hash",
    "load_alerts",
    "run",
]

if TYPE_CHECKING:
    # The pipeline, the model and the builder are imported when the command
    # runs, so that registering it keeps ``roomwatch --help`` fast.
    from roomwatch.core.analyze import Analyzer
    from roomwatch.pipeline import Output
    from roomwatch.report.build import ReportBuilder
    from roomwatch.report.values import Report

logger = logging.getLogger(__name__)

#: Builds extra pipeline outputs for a report run, given the settings and the
#: builder; e.g. an alert stage whose events go to ``builder.add_alert``.
ExtraOutputs = Callable[[Settings, "ReportBuilder"], Sequence["Output"]]


def run(
    args: argparse.Namespace,
    *,
    extra_outputs: ExtraOutputs | None = None,
    live_alerts: bool = False,
) -> int:
    """The ``report`` command: returns the exit status."""
    from roomwatch.report.html import parse_tz, render_html

    if args.speed < 0:
        raise ConfigError("--speed must be 0 or more")
    tz = parse_tz(args.tz)
    settings = load_settings(args.config, environ=os.environ, generate_missing_tokens=False)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ConfigError(f"cannot write {str(out)!r}: folder {str(out.parent)!r} does not exist")
    from roomwatch.compose import analyzer_for
    from roomwatch.heap import settle_heap

    analyzer = analyzer_for(settings)
    settle_heap()
    result = asyncio.run(
        build_report(
            settings,
            list(args.files),
            analyzer=analyzer,
            speed=args.speed,
            room=args.room,
            alerts=args.alerts,
            extra_outputs=extra_outputs,
            live_alerts=live_alerts,
            stream=sys.stderr,
        )
    )
    try:
        render_html(result.report, out, result.stamps, tz=tz, title=args.title)
    except OSError as exc:
        raise RoomwatchError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    r = result.report
    not_read = sum(r.unreadable.values())
    unread = f", {not_read:,} lines of the files not read" if not_read else ""
    print(
        f"wrote {out}: {r.total:,} records ({sum(r.skipped.values()):,} skipped{unread}), "
        f"{len(r.questions)} questions, {len(r.topics)} grievance topics, "
        f"{len(r.raids)} raids, {len(r.alerts)} alerts in {result.seconds:.1f} s "
        f"with model {result.stamps.get('model', '?')}",
        file=sys.stdout,
    )
    return 0


@dataclass(frozen=True, slots=True)
class ReportRun:
    report: Report
    stamps: Mapping[str, str]
    seconds: float


async def build_report(
    settings: Settings,
    paths: Sequence[str | os.PathLike[str]],
    *,
    speed: float = 0.0,
    room: str | None = None,
    alerts: str | os.PathLike[str] | None = None,
    extra_outputs: ExtraOutputs | None = None,
    live_alerts: bool = False,
    builder: ReportBuilder | None = None,
    analyzer: Analyzer | None = None,
    stream: TextIO | None = None,
    is_tty: bool | None = None,
) -> ReportRun:
    """Run ``paths`` through the real pipeline into a report.

    ``analyzer`` defaults to the one the settings name; ``live_alerts``
    runs the alert stage into the report; ``stream`` /
    ``is_tty`` drive the progress line (nothing is printed when the stream is
    not a terminal).
    """
    from roomwatch.compose import analyzer_for, build_pipeline
    from roomwatch.report.build import ReportBuilder
    from roomwatch.sources.replay import ReplaySource

    if builder is None:
        from roomwatch.config.rooms import RoomBook

        # Questions folded as each room's live host queue folds them (its
        # products and queue keys); grievance topics under the names the
        # comms alerts use (退款售后 ...).
        book = RoomBook(settings.queue, settings.alerts, settings.rooms)
        builder = ReportBuilder(
            queue=settings.queue,
            queue_for=book.queue_config,
            topic_seeds=settings.alerts.topic_seeds,
        )
    if alerts is not None:
        for event in load_alerts(alerts):
            builder.add_alert(event)
    if analyzer is None:
        analyzer = await asyncio.to_thread(analyzer_for, settings)
    outputs: list[Output] = [builder]
    if extra_outputs is not None:
        outputs.extend(extra_outputs(settings, builder))
    pipeline = build_pipeline(
        settings,
        analyzer,
        outputs=outputs,
        keep_skips=True,
        stages=("alerts",) if live_alerts else (),
        alert_listeners=[builder.add_alert] if live_alerts else (),
        inline=not speed > 0,
    ).pipeline
    bar = Progress(None, "report", stream=stream, is_tty=is_tty)
    if bar.enabled:
        bar.set_total(await asyncio.to_thread(count_records, paths))
    started = time.monotonic()
    source = ReplaySource(list(paths), speed=speed, room=room, on_record=bar.update)
    pipeline.start()
    try:
        with bar:
            stats = await source.run(pipeline)
            await pipeline.drain()
    finally:
        await pipeline.close()
    elapsed = time.monotonic() - started
    lexicons = analyzer.lexicon_hash or lexicon_hash(
        asset_dir("lexicons", settings.model.lexicons_dir or None)
    )
    stamps = {
        "model": analyzer.version,
        "lexicons": lexicons,
        "config": analyzer.config_hash or settings.digest(),
        "recordings": ", ".join(Path(p).name for p in paths),
        "roomwatch": __version__,
    }
    report = dataclasses.replace(builder.report(), unreadable=dict(stats.unreadable))
    return ReportRun(report, stamps, elapsed)


def lexicon_hash(directory: str | os.PathLike[str]) -> str:
    """The lexicon folder's hash, as stamped on every verdict (12 hex of sha256
    over the sorted relative paths and contents of its files)."""
    from roomwatch.core.analyze import hash_dir

    return hash_dir(Path(directory))


def count_records(paths: Sequence[str | os.PathLike[str]]) -> int | None:
    """Lines in JSON Lines recordings (plain or gzip), for the progress bar's total.

    ``None`` when a file is in an importer format or cannot be read: the bar
    then shows the count and rate without an ETA.
    """
    total = 0
    for path in paths:
        try:
            if sniff(path) != "jsonl":
                return None
            with open_binary(path) as fh:
                last = b"\n"
                while chunk := fh.read(1 << 20):
                    total += chunk.count(b"\n")
                    last = chunk[-1:]
                if last != b"\n":
                    total += 1
        except (RecordingError, OSError, EOFError):
            return None
    return total


def load_alerts(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Alert events from a JSON Lines file, streaming (bad lines are skipped with a warning)."""
    name = os.fspath(path)
    try:
        fh = open(name, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise RoomwatchError(f"{name}: cannot open the alerts file: {exc.strerror}") from None
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                logger.warning("%s:%d: not JSON, skipped: %s", name, lineno, exc)
                continue
            if not isinstance(value, dict):
                logger.warning("%s:%d: not a JSON object, skipped", name, lineno)
                continue
            yield value

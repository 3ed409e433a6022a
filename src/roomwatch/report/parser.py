"""The ``roomwatch report`` argument parser, without the report's code.

Registering the command imports only :mod:`argparse`; the handler imports
:mod:`roomwatch.report.cli` (and through it the pipeline and the model) when
the command runs, so the other commands start without it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from roomwatch.report.cli import ExtraOutputs

__all__ = ["add_parser"]


def add_parser(
    subparsers: Any, *, extra_outputs: ExtraOutputs | None = None, live_alerts: bool = False
) -> argparse.ArgumentParser:
    """Add ``roomwatch report`` to an argparse ``add_subparsers()`` object."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="write a self-contained HTML review report of recordings",
        description=(
            "Run recordings through the pipeline and write one HTML file (no scripts, "
            "nothing loaded from the network) with the timeline, top questions, "
            "grievance topics, abuse and spam, alerts and a summary."
        ),
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="JSONL/.gz recordings or importer files"
    )
    p.add_argument("--out", "-o", default="report.html", help="the HTML file (default report.html)")
    p.add_argument("--config", "-c", help="TOML config file")
    p.add_argument("--alerts", help="alert events to include, one JSON object per line")
    p.add_argument("--room", help="room for importer files that don't name one")
    p.add_argument("--speed", type=float, default=0.0, help="1 = original pace, 0 = flat out")
    p.add_argument(
        "--tz",
        default="Asia/Shanghai",
        help="time zone for times in the report (default Asia/Shanghai; e.g. UTC, +08:00)",
    )
    p.add_argument("--title", default="roomwatch room report", help="the report's title")
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    def run(args: argparse.Namespace) -> int:
        from roomwatch.report.cli import run

        return run(args, extra_outputs=extra_outputs, live_alerts=live_alerts)

    p.set_defaults(func=run)
    return p

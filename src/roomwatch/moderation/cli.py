"""``roomwatch feedback export``: moderators' verdicts as a training corpus file.

Registering the command imports only :mod:`argparse`; the config and the
store are imported when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "cmd_feedback_export"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``feedback export`` on the main CLI's subparsers."""
    p = subparsers.add_parser("feedback", help="moderator feedback (labelled examples)")
    sub = p.add_subparsers(dest="feedback_command", required=True)
    e = sub.add_parser(
        "export", help="write feedback as corpus JSONL for `roomwatch train --extra`"
    )
    e.add_argument("--db", type=Path, default=None, help="SQLite store (default: store.path)")
    e.add_argument("--config", "-c", help="TOML config file (for store.path)")
    e.add_argument("--out", "-o", default="-", help="output file ('-' = stdout, the default)")
    e.add_argument("--since", type=float, default=None, help="only feedback at or after this ts")
    e.set_defaults(func=cmd_feedback_export)


def cmd_feedback_export(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from roomwatch.config import load_settings

    db = args.db
    if db is None:
        settings = load_settings(
            Path(args.config) if args.config else None,
            environ=os.environ,
            generate_missing_tokens=True,
        )
        db = Path(settings.store.path)
    out = args.out
    n = asyncio.run(_export(Path(db), out, args.since))
    print(f"exported {n} examples", file=sys.stderr)
    return 0


async def _export(db: Path, out: str, since: float | None) -> int:
    from prometheus_client import CollectorRegistry

    from roomwatch.store import Store

    async with await Store.open(db, registry=CollectorRegistry()) as store:
        if out == "-":
            n = await store.export_feedback_jsonl(sys.stdout, since=since)
            sys.stdout.flush()
            return n
        return await store.export_feedback_jsonl(Path(out), since=since)

"""``roomwatch check-config FILE``: load a config file as ``serve`` would, and say so.

Prints ``ok: FILE: <one-line summary>`` and exits 0, or prints every problem
(dotted key path and reason, one per line) and exits 2. Secrets written as
``"env:NAME"`` are looked up in the environment, as ``serve`` does.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Final, TextIO

from roomwatch.config.load import Settings, load_settings
from roomwatch.config.schema import InvalidConfig
from roomwatch.config.sections import ROLES
from roomwatch.core.errors import ConfigError

__all__ = ["check_config", "cmd_check_config", "summary"]

#: Exit status for a config with problems (as for every other usage error).
EXIT_INVALID: Final = 2


def cmd_check_config(args: argparse.Namespace) -> int:
    """``roomwatch check-config FILE`` (registered in :mod:`roomwatch.cli`)."""
    return check_config(args.file, environ=os.environ, out=sys.stdout)


def check_config(path: str, *, environ: Mapping[str, str], out: TextIO) -> int:
    """Check ``path``; write the verdict to ``out``; 0 when it loads, else 2."""
    try:
        settings = load_settings(path, environ=environ, generate_missing_tokens=False)
    except InvalidConfig as exc:
        count = len(exc.problems)
        out.write(f"{path}: {count} problem{'s' if count != 1 else ''}\n")
        for problem in exc.problems:
            out.write(f"  {problem}\n")
        return EXIT_INVALID
    except ConfigError as exc:  # unreadable: missing, not TOML, not UTF-8
        out.write(f"{exc}\n")
        return EXIT_INVALID
    out.write(f"ok: {path}: {summary(settings)}\n")
    return 0


def summary(settings: Settings) -> str:
    """One line: where it listens, tokens, sources, webhooks, rooms, moderation, digest."""
    s = settings
    roles = sorted({t.role for t in s.tokens}, key=ROLES.index)
    missing = [r for r in ROLES if r not in roles]
    parts = [
        f"serve {s.server.host}:{s.server.port}",
        f"{_n(len(s.tokens), 'token')}"
        + (f" (none for {', '.join(missing)}: serve generates them)" if missing else ""),
        f"sources: {len(s.websocket_sources)} websocket, {len(s.replay_sources)} replay",
        _n(len(s.webhooks), "webhook"),
        f"{_n(len(s.rooms), 'room')} with own terms",
        f"moderation outbound {s.moderation.outbound}",
        f"config {s.digest()}",
    ]
    return "; ".join(parts)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

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
from pathlib import Path
from typing import Final, TextIO
from urllib.parse import urlsplit

from roomwatch.config.load import Settings, load_settings
from roomwatch.config.schema import InvalidConfig
from roomwatch.config.sections import ROLES
from roomwatch.config.streams import StreamsSettings
from roomwatch.core.errors import ConfigError
from roomwatch.core.lexicon import LISTS

__all__ = ["check_config", "cmd_check_config", "file_problems", "summary"]

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
    missing, absent = file_problems(settings)
    if missing:
        count = len(missing)
        out.write(f"{path}: {count} problem{'s' if count != 1 else ''}\n")
        for line in missing:
            out.write(f"  {line}\n")
        return EXIT_INVALID
    out.write(f"ok: {path}: {summary(settings)}\n")
    for warning in absent:  # (serve starts; only that source stops)
        out.write(f"  warning: {warning}\n")
    return 0


#: What a model folder and a lexicons folder must hold for ``serve`` to start.
_MODEL_FILES: Final = ("manifest.json", "weights.npz")
_LEXICON_FILES: Final = (
    "evasion.tsv",
    "patterns.tsv",
    "emotes.tsv",
    "emoji.tsv",
    "userdict.txt",
    *(f"terms/{name}.txt" for name in LISTS),
)


def file_problems(settings: Settings) -> tuple[list[str], list[str]]:
    """The files a valid config names that are not there (paths relative to the
    current folder, as ``serve`` reads them): a model or lexicons folder that is
    missing or incomplete (``serve`` would not start), and replay files that do
    not exist (yet: ``serve`` starts, and only that source stops)."""
    problems: list[str] = []
    absent: list[str] = []
    for key, folder, needed in (
        ("model.models_dir", settings.model.models_dir, _MODEL_FILES),
        ("model.lexicons_dir", settings.model.lexicons_dir, _LEXICON_FILES),
    ):
        if not folder:
            continue  # the bundled one
        where = Path(folder)
        if not where.is_dir():
            problems.append(f"{key}: {folder!r} is not a folder")
            continue
        lacking = [name for name in needed if not (where / name).is_file()]
        if lacking:
            problems.append(f"{key}: {folder!r} holds no {', '.join(lacking)}")
    for i, source in enumerate(settings.replay_sources):
        for j, name in enumerate(source.paths):
            if not Path(name).is_file():
                absent.append(f"sources.replay[{i}].paths[{j}]: no such file: {name!r}")
    return problems, absent


def summary(settings: Settings) -> str:
    """One line: where it listens, tokens, sources, webhooks, rooms, moderation, digest."""
    s = settings
    roles = sorted({t.role for t in s.tokens}, key=ROLES.index)
    missing = [r for r in ROLES if r not in roles]
    parts = [
        f"serve {s.server.host}:{s.server.port}",
        f"{_n(len(s.tokens), 'token')}"
        + (f" (none for {', '.join(missing)}: serve generates them)" if missing else ""),
        f"sources: {len(s.websocket_sources)} websocket, {len(s.replay_sources)} replay,"
        f" {len(s.bilibili_sources)} bilibili",
        _n(len(s.webhooks), "webhook"),
        f"{_n(len(s.rooms), 'room')} with own terms",
        f"moderation outbound {s.moderation.outbound}",
    ]
    if s.streams != StreamsSettings():  # (for gateway and worker: serve ignores it)
        redis = _redis_host(s.streams.redis_url)
        parts.append(f"gateway/worker: Redis {redis}, {_n(s.streams.shards, 'shard')}")
    parts.append(f"config {s.digest()}")
    return "; ".join(parts)


def _redis_host(url: str) -> str:
    """Where a Redis URL points, never its password."""
    where = urlsplit(url)
    if where.scheme == "unix":
        return where.path
    try:
        port = str(where.port or 6379)
    except ValueError:  # (a bad port is one of the problems already reported)
        port = "?"
    return f"{where.hostname or 'localhost'}:{port}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

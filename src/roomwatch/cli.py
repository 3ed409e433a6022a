"""The ``roomwatch`` command line.

``serve``     run the service (``--config roomwatch.toml``; defaults work as is)
``demo``      run the service and replay the bundled sample recording into it
``replay``    run recordings through the full pipeline offline
``classify``  classify comments from stdin, one verdict per line, in order
``train``     rebuild the shipped models;  ``eval``  measure a model
``import``    convert Bilibili / BililiveRecorder XML or CSV to a recording
``report``    a self-contained HTML review report of recordings
``gateway``   sources, web app, hub and webhooks, with the stages in ``worker``
              processes behind Redis Streams (docs/streams.md)
``worker``    the stages, fed from Redis Streams by a gateway

Start-up is lazy: building the parser imports no command's code. Each
command's handler imports what it runs when it runs, so ``classify`` never
loads aiohttp, the store or the report, and ``--help`` loads none of them.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roomwatch.argtypes import port, speed
from roomwatch.core.errors import RoomwatchError
from roomwatch.version import __version__

if TYPE_CHECKING:
    from roomwatch.config import Settings

__all__ = ["main"]

logger = logging.getLogger("roomwatch")


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # The first word not an option is the command (the top level has no
    # option that takes a value); one of the four below needs no other parser.
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(others=command not in _OWN_COMMANDS)
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=getattr(args, "log_level", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        result: int = args.func(args)
        return result
    except RoomwatchError as exc:
        print(f"roomwatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `roomwatch classify | head` closed our stdout; that's fine.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


#: The commands :func:`build_parser` registers itself.
_OWN_COMMANDS = frozenset({"serve", "demo", "replay", "classify"})


def build_parser(*, others: bool = True) -> argparse.ArgumentParser:
    """The whole command line; ``others=False`` leaves out the commands that
    live with their own code (import, report, train, ...): running ``classify``
    or ``replay`` needs none of their parsers, whose modules cost ~0.01 s of a
    start (``main`` decides)."""
    parser = argparse.ArgumentParser(
        prog="roomwatch",
        description="Real-time comment moderation and sentiment monitor for live-stream rooms.",
    )
    parser.add_argument("--version", action="version", version=f"roomwatch {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("serve", help="run the service")
    p.add_argument("--config", "-c", help="TOML config file (every key has a default)")
    p.add_argument("--host", help="override server.host")
    p.add_argument("--port", type=port, help="override server.port")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="serve on 127.0.0.1 and replay the bundled sample room")
    p.add_argument("--config", "-c", help="TOML config file")
    p.add_argument("--port", type=port, default=None, help="port (default 8686)")
    p.add_argument("--speed", type=speed, default=1.0, help="replay speed (default 1 = real time)")
    p.add_argument("--recording", help="replay this recording instead of the bundled sample")
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("replay", help="run recordings through the pipeline offline")
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="JSONL/.gz recordings or importer files"
    )
    p.add_argument("--speed", type=speed, default=0.0, help="1 = original pace, 0 = flat out")
    p.add_argument("--out", "-o", help="write one verdict per input record here ('-' = stdout)")
    p.add_argument("--config", "-c", help="TOML config file")
    p.add_argument("--room", help="room for importer files that don't name one")
    p.add_argument(
        "--alerts", metavar="FILE", help="write every alert event (open, update, resolve) here"
    )
    p.add_argument(
        "--compare",
        metavar="OTHER",
        help="also classify with OTHER (a config .toml, a model folder or a lexicons folder) "
        "and print the decisions that differ",
    )
    p.add_argument(
        "--limit", type=int, default=50, help="differences to list with --compare (default 50)"
    )
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("classify", help="classify comments from stdin, one verdict per line")
    p.add_argument("--jsonl", action="store_true", help="read comment records, not plain text")
    p.add_argument("--room", default="stdin", help="room for plain-text input (default 'stdin')")
    p.add_argument("--config", "-c", help="TOML config file")
    p.add_argument("--batch", type=int, default=2048, help="largest batch (default 2048)")
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=cmd_classify)

    if others:
        _optional_subcommands(sub)
    return parser


def _optional_subcommands(sub: Any) -> None:
    # These live with their own code. Each registering module imports only
    # argparse-level things; its handler imports the command's code when run.
    from roomwatch.moderation.cli import add_parser as add_feedback_parser
    from roomwatch.recordings.cli import add_parser as add_import_parser
    from roomwatch.report.parser import add_parser as add_report_parser
    from roomwatch.streams.parser import add_parsers as add_stream_parsers
    from roomwatch.training.cli import add_parsers as add_training_parsers

    add_training_parsers(sub)
    add_import_parser(sub)
    add_feedback_parser(sub)
    # Registered here: importing roomwatch.config.check would load the whole config package.
    p = sub.add_parser("check-config", help="check a config file against the schema")
    p.add_argument("file", metavar="FILE", help="TOML config file")
    p.set_defaults(func=cmd_check_config)
    # The alert detectors run during `roomwatch report`, into the report.
    add_report_parser(sub, live_alerts=True)
    add_stream_parsers(sub)


def cmd_check_config(args: argparse.Namespace) -> int:
    from roomwatch.config.check import cmd_check_config

    return cmd_check_config(args)


# -- serve / demo ------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
    from roomwatch.config import load_settings

    return load_settings(getattr(args, "config", None), environ=os.environ)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if overrides:
        import dataclasses

        settings = dataclasses.replace(
            settings, server=dataclasses.replace(settings.server, **overrides)
        )
    import asyncio

    return asyncio.run(_serve(settings, demo=None))


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses

    from roomwatch.assets import sample_recording

    settings = _settings(args)
    server = dataclasses.replace(
        settings.server,
        host="127.0.0.1",
        port=args.port if args.port is not None else settings.server.port,
    )
    settings = dataclasses.replace(settings, server=server)
    recording = Path(args.recording) if args.recording else sample_recording()
    return asyncio.run(_serve(settings, demo=(recording, args.speed)))


async def _serve(settings: Settings, demo: tuple[Path, float] | None) -> int:
    import asyncio

    from roomwatch.compose import analyzer_for
    from roomwatch.compose.sources import replay_source
    from roomwatch.compose.urls import print_urls
    from roomwatch.config import ReplaySourceSettings
    from roomwatch.heap import keep_heap_trimmed, settle_heap
    from roomwatch.service import Service

    analyzer = await asyncio.to_thread(analyzer_for, settings)
    async with Service(settings, analyzer=analyzer) as svc:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, _on_stop_signal, svc, sig)
        if demo is not None:
            recording, speed = demo
            spec = ReplaySourceSettings((str(recording),), name="demo", speed=speed, loop=True)
            svc.run_source(replay_source(spec, settings, svc.graph))
        print_urls(
            svc.url,
            settings,
            title="roomwatch demo" if demo is not None else "roomwatch",
            note="Replaying the bundled sample rooms in real time. Open:" if demo else "",
        )
        settle_heap()
        trimmer = asyncio.create_task(keep_heap_trimmed(), name="roomwatch-heap-trim")
        try:
            await svc.run()
        finally:
            trimmer.cancel()
    return 0


#: Past the shutdown bound, how long the watchdog waits before it ends the process.
_WATCHDOG_GRACE_S = 5.0


def _on_stop_signal(svc: Any, sig: signal.Signals) -> None:
    """First SIGTERM/SIGINT: stop gracefully within the bound; a second one: exit now."""
    if svc.stopping:
        logger.warning("second %s: exiting at once", sig.name)
        os._exit(128 + sig)
    bound = svc.settings.server.shutdown_timeout_s
    logger.info("%s: shutting down (within %g s; a second signal exits at once)", sig.name, bound)
    svc.stop()

    def overrun() -> None:
        # Something (a stuck thread, a blocked disk) held the exit past the
        # bound: say so, and exit anyway.
        logger.error("shutdown overran %g s; exiting now", bound)
        os._exit(70)

    import threading

    watchdog = threading.Timer(bound + _WATCHDOG_GRACE_S, overrun)
    watchdog.daemon = True
    watchdog.start()


# -- replay / classify (bodies in roomwatch.offline) ------------------------


def _one_blas_thread() -> None:
    """Have numpy's OpenBLAS start one thread, not one per core (unless the
    environment says otherwise; only before numpy is imported).

    Its extra threads cost ~0.05 CPU-s of each start of ``classify`` and
    ``replay`` (they start and spin when numpy is imported) and help nothing
    there: the analysis is sparse products and per-row work, too small to
    split. The outputs are the same either way (``bench/README.md``, seventh
    pass). ``train`` keeps them (scikit-learn's solvers use them).

    numpy is then imported at once. Imported where the analyser's modules
    first ask for it (six imports deep, after the config),
    ``python -m roomwatch classify`` spent ~22 ms (``-X importtime``) in
    ``numpy._typing``'s modules of ``Literal`` types, against ~3.5 ms imported
    here (0.013 CPU-s a start). Importing the config first does not slow it,
    nor does an in-process ``main()``; why the nested import under ``-m``
    does was not found.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy  # noqa: F401  (see above)


def cmd_replay(args: argparse.Namespace) -> int:
    _one_blas_thread()
    import asyncio

    from roomwatch import offline
    from roomwatch.config import load_settings

    settings = load_settings(args.config, environ=os.environ, generate_missing_tokens=False)
    if args.compare:
        return asyncio.run(offline.compare(settings, args))
    import gc

    # As for classify: no collections while the model loads (offline.replay
    # settles the heap, which turns the collector on again; so does a failure).
    gc.disable()
    try:
        return asyncio.run(offline.replay(settings, args))
    finally:
        gc.enable()


# -- classify ----------------------------------------------------------------


def cmd_classify(args: argparse.Namespace) -> int:
    _one_blas_thread()
    import asyncio
    import gc

    # Start-up (imports, config, model) makes ~75,000 objects that live until
    # exit and little garbage: collecting while it runs, then once more before
    # the freeze, was about 0.05 CPU-s of every classify (settle_heap below
    # turns the collector on again).
    gc.disable()

    from roomwatch import offline
    from roomwatch.compose import analyzer_for
    from roomwatch.config import load_settings
    from roomwatch.heap import settle_heap

    try:
        settings = load_settings(args.config, environ=os.environ, generate_missing_tokens=False)
        analyzer = analyzer_for(settings)
        # The loaded model is frozen out of the collector's way (as for replay and
        # serve): about 5% of the CPU of a large classify run went to full collections.
        settle_heap(collect=False)
        offline.flat_out_heap()
    finally:
        gc.enable()  # (settle_heap did, unless the start failed)
    return asyncio.run(offline.classify(settings, analyzer, args))

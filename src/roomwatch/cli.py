"""The ``roomwatch`` command line.

``serve``     run the service (``--config roomwatch.toml``; defaults work as is)
``demo``      run the service and replay the bundled sample recording into it
``replay``    run recordings through the full pipeline offline
``classify``  classify comments from stdin, one verdict per line, in order
``train``     rebuild the shipped models;  ``eval``  measure a model
``import``    convert Bilibili / BililiveRecorder XML or CSV to a recording
``report``    a self-contained HTML review report of recordings
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import select
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from roomwatch import __version__
from roomwatch.config import Settings, load_settings
from roomwatch.core.record import Comment, parse_json
from roomwatch.errors import RecordError, RoomwatchError
from roomwatch.heap import settle_heap

__all__ = ["main"]

logger = logging.getLogger("roomwatch")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roomwatch",
        description="Real-time comment moderation and sentiment monitor for live-stream rooms.",
    )
    parser.add_argument("--version", action="version", version=f"roomwatch {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("serve", help="run the service")
    p.add_argument("--config", "-c", help="TOML config file (every key has a default)")
    p.add_argument("--host", help="override server.host")
    p.add_argument("--port", type=int, help="override server.port")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="serve on 127.0.0.1 and replay the bundled sample room")
    p.add_argument("--config", "-c", help="TOML config file")
    p.add_argument("--port", type=int, default=None, help="port (default 8686)")
    p.add_argument("--speed", type=float, default=1.0, help="replay speed (default 1 = real time)")
    p.add_argument("--recording", help="replay this recording instead of the bundled sample")
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("replay", help="run recordings through the pipeline offline")
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="JSONL/.gz recordings or importer files"
    )
    p.add_argument("--speed", type=float, default=0.0, help="1 = original pace, 0 = flat out")
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
    p.add_argument("--batch", type=int, default=1024, help="largest batch (default 1024)")
    p.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=cmd_classify)

    _optional_subcommands(sub)
    return parser


def _optional_subcommands(sub: Any) -> None:
    # These live with their own code and import heavier modules lazily.
    from roomwatch import importers
    from roomwatch.moderation import cli as moderation_cli
    from roomwatch.report import add_parser as add_report_parser
    from roomwatch.training import cli as training_cli

    training_cli.add_parsers(sub)
    importers.add_parser(sub)
    moderation_cli.add_parser(sub)
    # The alert detectors run during `roomwatch report`, into the report.
    add_report_parser(sub, live_alerts=True)


# -- serve / demo ------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
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
    return asyncio.run(_serve(settings, demo=None))


def cmd_demo(args: argparse.Namespace) -> int:
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
    from roomwatch.compose import analyzer_for
    from roomwatch.service import Service

    analyzer = await asyncio.to_thread(analyzer_for, settings)
    async with Service(settings, analyzer=analyzer) as svc:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, _on_stop_signal, svc, sig)
        if demo is not None:
            recording, speed = demo
            svc.add_replay_source([recording], speed=speed, name="demo", loop=True)
        _print_urls(svc.url, settings, demo=demo is not None)
        settle_heap()
        await svc.run()
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

    watchdog = threading.Timer(bound + _WATCHDOG_GRACE_S, overrun)
    watchdog.daemon = True
    watchdog.start()


def _print_urls(url: str, settings: Settings, *, demo: bool) -> None:
    def first(role: str) -> str | None:
        tokens = settings.tokens_for(role)
        return tokens[0].token if tokens else None

    out = sys.stdout
    title = "roomwatch demo" if demo else "roomwatch"
    print(f"{title} {__version__} is running on {url}", file=out)
    if demo:
        print("Replaying the bundled sample rooms in real time. Open:", file=out)
    generated = set(settings.generated_roles)
    for role, path, what in (
        ("host", "/host", "host view (question queue)"),
        ("helper", "/host", "helper view (claim / answer)"),
        ("moderator", "/moderator", "moderator view (flags)"),
        ("comms", "/moderator", "comms view (alerts, acks)"),
        ("admin", "/moderator", "admin (moderator view)"),
        ("admin", "/host", "admin (host view)"),
    ):
        secret = first(role)
        if secret is None:
            continue
        # Only tokens roomwatch made up for this run are shown; configured
        # tokens are the operator's secrets and never printed.
        link = f"{url}{path}#token={secret}" if role in generated else f"{url}{path}"
        print(f"  {what:<30} {link}", file=out)
    print(f"  {'metrics':<30} {url}/metrics", file=out)
    print(f"  {'health':<30} {url}/healthz", file=out)
    ingest = first("ingest")
    if ingest is not None and "ingest" in generated:
        print(
            f"  POST records to {url}/ingest with 'Authorization: Bearer {ingest}'",
            file=out,
        )
    print("Press Ctrl-C to stop.", file=out, flush=True)


# -- replay ------------------------------------------------------------------


class _VerdictWriter:
    """An output that writes one JSON line per result, in order."""

    stage = "write"

    def __init__(self, fh: IO[str] | None) -> None:
        self._fh = fh
        self.labels: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()

    def __call__(self, results: Sequence[Any]) -> None:
        from roomwatch.core.result import Skipped

        lines = []
        write = self._fh is not None
        for r in results:
            if isinstance(r, Skipped):
                self.skipped[r.reason] += 1
                if write:
                    lines.append(json.dumps(r.to_dict(), ensure_ascii=False))
            else:
                self.labels[r.label] += 1
                if write:
                    lines.append(r.to_json())
        if lines and self._fh is not None:
            self._fh.write("\n".join(lines) + "\n")


def cmd_replay(args: argparse.Namespace) -> int:
    settings = load_settings(args.config, environ=os.environ, generate_missing_tokens=False)
    if args.compare:
        return asyncio.run(_compare(settings, args))
    return asyncio.run(_replay(settings, args))


def _other_settings(settings: Settings, other: str) -> Settings:
    """Settings for ``--compare OTHER``: a config file, a model or a lexicons folder."""
    import dataclasses

    path = Path(other)
    if path.is_file():
        return load_settings(path, environ=os.environ, generate_missing_tokens=False)
    if (path / "manifest.json").is_file():
        model = dataclasses.replace(settings.model, models_dir=str(path))
        return dataclasses.replace(settings, model=model)
    if (path / "userdict.txt").is_file() or (path / "terms").is_dir():
        model = dataclasses.replace(settings.model, lexicons_dir=str(path))
        return dataclasses.replace(settings, model=model)
    raise RoomwatchError(
        f"--compare {other!r} is neither a config file, a model folder (with manifest.json) "
        "nor a lexicons folder (with userdict.txt)"
    )


async def _compare(settings: Settings, args: argparse.Namespace) -> int:
    """Classify every record twice and report the decisions that differ.

    Two graphs from :func:`roomwatch.compose.build_pipeline`, one per
    analyzer, fed the same records (every one: no de-duplication or flood
    control); their verdicts are paired in input order.
    """
    from collections import deque

    from roomwatch.compose import analyzer_for, build_pipeline
    from roomwatch.core.analyze import TYPED_KINDS
    from roomwatch.core.result import Result
    from roomwatch.core.verdict import Verdict
    from roomwatch.sources.replay import ReplaySource

    other_settings = _other_settings(settings, args.compare)
    base, other = await asyncio.gather(
        asyncio.to_thread(analyzer_for, settings),
        asyncio.to_thread(analyzer_for, other_settings),
    )
    changes: Counter[tuple[str, str]] = Counter()
    shown: list[str] = []
    total = 0
    left: deque[Verdict] = deque()
    right: deque[Verdict] = deque()

    def pair() -> None:
        nonlocal total
        while left and right:
            a, b = left.popleft(), right.popleft()
            total += 1
            if a.label == b.label:
                continue
            changes[(a.label, b.label)] += 1
            if len(shown) < args.limit:
                text = a.comment.text.replace("\n", " ")
                text = text if len(text) <= 60 else text[:59] + "…"
                shown.append(
                    f"  {a.comment.id or '-'} [{a.comment.room}] {a.label} → {b.label}  "
                    f"{text}  ({'; '.join(b.reasons[:3])})"
                )

    def into(side: deque[Verdict]) -> Callable[[Sequence[Result]], None]:
        def output(results: Sequence[Result]) -> None:
            side.extend(
                r for r in results if isinstance(r, Verdict) and r.comment.kind in TYPED_KINDS
            )
            pair()

        return output

    pipelines = [
        build_pipeline(s, analyzer, outputs=[into(side)], dedupe=False, flood=False).pipeline
        for s, analyzer, side in ((settings, base, left), (other_settings, other, right))
    ]

    class Both:
        async def put(self, comment: Comment, source: str) -> bool:
            for pipeline in pipelines:
                await pipeline.put(comment, source)
            return True

        async def reject(self, error: RecordError, source: str, where: str = "") -> None:
            return None

    for pipeline in pipelines:
        pipeline.start()
    try:
        await ReplaySource(list(args.files), speed=0, room=args.room).run(Both())
        for pipeline in pipelines:
            await pipeline.drain()
    finally:
        for pipeline in pipelines:
            await pipeline.close()
    n = sum(changes.values())
    print(
        f"compared {total} comments: {n} decisions differ ({n / max(total, 1):.2%})\n"
        f"  base:  model {base.version}, lexicons {base.lexicon_hash}, config {base.config_hash}\n"
        f"  other: model {other.version}, lexicons {other.lexicon_hash}, "
        f"config {other.config_hash}"
    )
    if changes:
        print("label changes:")
        for (a, b), count in changes.most_common():
            print(f"  {a:>9} → {b:<9} {count:>7}")
        print(f"differences (first {len(shown)}):")
        print("\n".join(shown))
    return 0


async def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from roomwatch.compose import analyzer_for, build_pipeline
    from roomwatch.progress import Progress
    from roomwatch.report.cli import count_records
    from roomwatch.sources.replay import ReplaySource

    analyzer = await asyncio.to_thread(analyzer_for, settings)
    settle_heap()
    out_fh: IO[str] | None = None
    if args.out == "-":
        out_fh = sys.stdout
    elif args.out:
        out_fh = open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    counter = _VerdictWriter(out_fh)
    alerts_fh: IO[str] | None = None
    alert_events: Counter[str] = Counter()
    if args.alerts:
        alerts_fh = open(args.alerts, "w", encoding="utf-8")  # noqa: SIM115

    def write_alert(event: Any) -> None:
        assert alerts_fh is not None
        alert_events[event.kind] += 1
        alerts_fh.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")

    pipeline = build_pipeline(
        settings,
        analyzer,
        outputs=[counter],
        keep_skips=True,
        stages=("alerts",) if args.alerts else (),
        alert_listeners=[write_alert] if args.alerts else (),
    ).pipeline
    pipeline.start()
    started = time.monotonic()
    # Quiet unless stderr is a terminal (and never mixed into --out -).
    bar = Progress(None, "replay")
    if bar.enabled:
        bar.set_total(await asyncio.to_thread(count_records, list(args.files)))
    source = ReplaySource(list(args.files), speed=args.speed, room=args.room, on_record=bar.update)
    try:
        with bar:
            stats = await source.run(pipeline)
            await pipeline.drain()
    finally:
        await pipeline.close()
        if out_fh is not None and out_fh is not sys.stdout:
            out_fh.close()
        if alerts_fh is not None:
            alerts_fh.close()
    elapsed = time.monotonic() - started
    report = sys.stderr if args.out == "-" else sys.stdout
    total = sum(counter.labels.values())
    print(
        f"replayed {stats.records} records ({total} verdicts, "
        f"{sum(counter.skipped.values())} skipped) in {elapsed:.1f} s "
        f"with model {analyzer.version}",
        file=report,
    )
    for label, n in counter.labels.most_common():
        print(f"  {label:<10} {n:>8}  {n / max(total, 1):6.1%}", file=report)
    for reason, n in counter.skipped.most_common():
        print(f"  skipped {reason}: {n}", file=report)
    if args.alerts:
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(alert_events.items())) or "none"
        print(f"alert events: {summary} (written to {args.alerts})", file=report)
    return 0


# -- classify ----------------------------------------------------------------


def cmd_classify(args: argparse.Namespace) -> int:
    from roomwatch.compose import analyzer_for

    settings = load_settings(args.config, environ=os.environ, generate_missing_tokens=False)
    analyzer = analyzer_for(settings)
    return asyncio.run(_classify(settings, analyzer, args))


async def _classify(settings: Settings, analyzer: Any, args: argparse.Namespace) -> int:
    """Every stdin line through the pipeline (no de-duplication or flood control).

    A line that can't be read is rejected in its place, so output lines up
    with input; each chunk read is answered before the next is read, so a
    person typing gets each answer at once.
    """
    from roomwatch.compose import build_pipeline
    from roomwatch.core.result import Result, Skipped

    out = sys.stdout
    lines: list[str] = []
    answered = 0
    wanted = 0
    caught_up = asyncio.Event()

    def write(results: Sequence[Result]) -> None:
        nonlocal answered
        for r in results:
            if isinstance(r, Skipped):
                skip = {"skipped": r.reason, "error": r.error}
                lines.append(json.dumps({"line": int(r.where), **skip}, ensure_ascii=False))
            else:
                lines.append(r.to_json())
        answered += len(results)
        if answered >= wanted:
            caught_up.set()

    pipeline = build_pipeline(
        settings, analyzer, outputs=[write], keep_skips=True, dedupe=False, flood=False
    ).pipeline
    pipeline.start()
    try:
        for chunk in _stdin_chunks(max(1, args.batch)):
            for lineno, raw in chunk:
                item = _classify_line(raw, args)
                if item is None:
                    continue
                wanted += 1
                if isinstance(item, RecordError):
                    await pipeline.reject(item, "stdin", str(lineno))
                else:
                    await pipeline.put(item, "stdin")
            if answered < wanted:
                caught_up.clear()
                await caught_up.wait()
            if lines:
                out.write("\n".join(lines) + "\n")
                out.flush()
                lines.clear()
        await pipeline.drain()
    finally:
        await pipeline.close()
    return 0


def _classify_line(raw: bytes, args: argparse.Namespace) -> Comment | RecordError | None:
    """One stdin line as a comment, the error in its place, or None (a blank JSONL line)."""
    if args.jsonl:
        if not raw.strip():
            return None
        try:
            return parse_json(raw, received_at=time.time())
        except RecordError as err:
            return err
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RecordError("invalid_utf8", f"not valid UTF-8 (byte {exc.start})")
    # A blank line still gets its verdict, so output lines up with input.
    kind = "comment" if text.strip() else "system"
    try:
        return Comment.from_dict(
            {"room": args.room, "text": text, "kind": kind}, received_at=time.time()
        )
    except RecordError as err:
        return err


def _stdin_chunks(limit: int) -> Iterator[list[tuple[int, bytes]]]:
    """Yield lists of (line number, raw line) from stdin.

    Reads whatever is available, so a pipe is processed in large batches and
    a person typing gets each answer at once.
    """
    fd = sys.stdin.fileno()
    pending = b""
    lineno = 0
    eof = False
    while not eof:
        data = os.read(fd, 1 << 16)
        if not data:
            eof = True
        pending += data
        # Read on while more is already waiting, up to the batch limit.
        while not eof and pending.count(b"\n") < limit and _readable(fd):
            more = os.read(fd, 1 << 16)
            if not more:
                eof = True
                break
            pending += more
        parts = pending.split(b"\n")
        pending = parts.pop()
        if eof and pending:
            parts.append(pending)
            pending = b""
        batch: list[tuple[int, bytes]] = []
        for part in parts:
            lineno += 1
            batch.append((lineno, part.removesuffix(b"\r")))
            if len(batch) >= limit:
                yield batch
                batch = []
        if batch:
            yield batch


def _readable(fd: int) -> bool:
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(ready)

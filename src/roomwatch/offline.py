"""The offline commands' bodies: ``replay``, ``replay --compare`` and ``classify``.

Each builds its pipeline with :func:`roomwatch.compose.build_pipeline`
(see the table there for the options each one uses). :mod:`roomwatch.cli`
parses the arguments and calls these.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import functools
import gc
import json
import os
import select
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Final

from roomwatch.config import Settings, load_settings
from roomwatch.core.errors import RecordError, RoomwatchError
from roomwatch.core.record import MAX_TEXT_CHARS, Comment, new_comment, parse_json
from roomwatch.core.user import NO_USER
from roomwatch.heap import settle_heap

__all__ = ["FLAT_OUT_YOUNG", "classify", "compare", "flat_out_heap", "replay"]

#: Allocations between young collections while an offline command reads flat
#: out (``settle_heap`` sets 10,000, for ``serve``'s short pauses).
FLAT_OUT_YOUNG: Final = 100_000


def flat_out_heap() -> None:
    """Collect the young generation less often, for ``classify`` and ``replay
    --speed 0`` (after :func:`~roomwatch.heap.settle_heap`).

    A batch of 2,048 comments makes tens of thousands of container objects
    (records, verdicts, tokens, score dicts, lines) that live until its lines
    are written and then die by reference counting. Every 10,000 allocations
    the collector walked the ones alive, several times a batch and again in
    the middle generation: 0.12 CPU-s of classify's 100,000 real comments and
    0.15 of replay's. At 100,000 it mostly finds the batch gone (0.015 CPU-s);
    cycles are still collected, and at most ~100,000 more objects wait for it.
    """
    _, middle, full = gc.get_threshold()
    gc.set_threshold(FLAT_OUT_YOUNG, middle, full)


class _VerdictWriter:
    """An output that writes one JSON line per result, in order."""

    stage = "write"

    def __init__(self, fh: IO[str] | None) -> None:
        self._fh = fh
        self._raw = utf8_buffer(fh)
        self.labels: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()

    def __call__(self, results: Sequence[Any]) -> None:
        from roomwatch.core.result import Skipped
        from roomwatch.core.verdict import json_lines, json_lines_utf8

        fh, raw = self._fh, self._raw
        errors = getattr(fh, "errors", None) or "strict"
        verdicts = [r for r in results if not isinstance(r, Skipped)]
        if fh is None:
            encoded: Iterator[str | bytes] = iter(())
        elif raw is not None:
            encoded = iter(json_lines_utf8(verdicts, errors))
        else:
            encoded = iter(json_lines(verdicts))
        lines: list[Any] = []
        if len(verdicts) == len(results):
            # No skip in the batch (as usual): the labels at once, the lines as they are.
            self.labels.update([v.label for v in verdicts])
            lines.extend(encoded)
        else:
            for r in results:
                if isinstance(r, Skipped):
                    self.skipped[r.reason] += 1
                    if fh is not None:
                        line = json.dumps(r.to_dict(), ensure_ascii=False)
                        lines.append(line.encode("utf-8", errors) if raw is not None else line)
                else:
                    self.labels[r.label] += 1
                    if fh is not None:
                        lines.append(next(encoded))
        if not lines or fh is None:
            return
        if raw is not None:
            fh.flush()  # (anything written as text first goes first)
            raw.write(b"\n".join(lines) + b"\n")
        else:
            fh.write("\n".join(lines) + "\n")


def utf8_buffer(fh: IO[str] | None) -> IO[bytes] | None:
    """``fh``'s byte buffer if writing UTF-8 bytes there is writing the same lines
    as text (UTF-8, errors ``strict`` or ``surrogateescape`` (stdout's under a C
    or POSIX locale), and a platform whose text files end lines with ``\n``
    (files opened with another ``newline=`` are not expected here); else None. Lines encoded with
    ``fh.errors`` go there as the text layer would have encoded them.

    Verdict lines go there as orjson wrote them, without a decode to ``str``
    and an encode back (``core.verdict.json_lines_utf8``).
    """
    buffer = getattr(fh, "buffer", None)
    encoding = getattr(fh, "encoding", None) or ""
    errors = getattr(fh, "errors", None)
    if buffer is None or os.linesep != "\n" or errors not in ("strict", "surrogateescape"):
        return None
    try:
        if codecs.lookup(encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    return buffer  # type: ignore[no-any-return]


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


async def compare(settings: Settings, args: argparse.Namespace) -> int:
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
        build_pipeline(
            s, analyzer, outputs=[into(side)], dedupe=False, flood=False, inline=True
        ).pipeline
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


async def replay(settings: Settings, args: argparse.Namespace) -> int:
    from roomwatch.compose import analyzer_for, build_pipeline
    from roomwatch.inline import FLAT_OUT_BATCH, InlinePipeline
    from roomwatch.progress import Progress
    from roomwatch.sources.replay import ReplaySource

    analyzer = await asyncio.to_thread(analyzer_for, settings)
    settle_heap(collect=False)
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
        inline=not args.speed > 0,  # flat out: nothing else needs the event loop
    ).pipeline
    if isinstance(pipeline, InlinePipeline):
        pipeline.batch_limit = max(settings.pipeline.batch_max, FLAT_OUT_BATCH)
        flat_out_heap()
    pipeline.start()
    started = time.monotonic()
    # Quiet unless stderr is a terminal (and never mixed into --out -).
    bar = Progress(None, "replay")
    if bar.enabled:
        from roomwatch.report.cli import count_records  # only to size the bar

        bar.set_total(await asyncio.to_thread(count_records, list(args.files)))
    # (A bar that draws nothing needs no call per record.)
    on_record = bar.update if bar.enabled else None
    source = ReplaySource(list(args.files), speed=args.speed, room=args.room, on_record=on_record)
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
    skipped = sum(counter.skipped.values())
    # Every record read is a verdict or skipped (with --out, one line each).
    print(
        f"replayed {total + skipped} records: {total} verdicts, {skipped} skipped "
        f"in {elapsed:.1f} s with model {analyzer.version}",
        file=report,
    )
    for label, n in counter.labels.most_common():
        print(f"  {label:<10} {n:>8}  {n / max(total, 1):6.1%}", file=report)
    for reason, n in counter.skipped.most_common():
        print(f"  skipped {reason}: {n}", file=report)
    if stats.unreadable:
        # Lines the files' readers dropped never became records (warned above).
        from roomwatch.recordings.errors import by_reason

        lines = sum(stats.unreadable.values())
        noun = "line" if lines == 1 else "lines"
        print(
            f"  not read: {lines} {noun} of the files ({by_reason(stats.unreadable)})", file=report
        )
    if args.alerts:
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(alert_events.items())) or "none"
        print(f"alert events: {summary} (written to {args.alerts})", file=report)
    return 0


async def classify(settings: Settings, analyzer: Any, args: argparse.Namespace) -> int:
    """Every stdin line through the pipeline (no de-duplication or flood control).

    A line that can't be read is rejected in its place, so output lines up
    with input; each chunk read is answered before the next is read, so a
    person typing gets each answer at once.
    """
    from roomwatch.compose import build_pipeline
    from roomwatch.core.result import Result, Skipped
    from roomwatch.core.verdict import json_lines, json_lines_utf8
    from roomwatch.inline import InlinePipeline

    out = sys.stdout
    # Verdict lines go to stdout's buffer as UTF-8 bytes where that is the same.
    raw_out = utf8_buffer(out)
    out_errors = out.errors or "strict"
    lines: list[Any] = []
    answered = 0
    wanted = 0
    caught_up = asyncio.Event()

    def write(results: Sequence[Result]) -> None:
        nonlocal answered
        verdicts = [r for r in results if not isinstance(r, Skipped)]
        encoded: Iterator[str | bytes] = iter(
            json_lines(verdicts) if raw_out is None else json_lines_utf8(verdicts, out_errors)
        )
        if len(verdicts) == len(results):
            lines.extend(encoded)  # (no skip in the batch, as usual: the lines as they are)
        else:
            for r in results:
                if isinstance(r, Skipped):
                    # A rejected line says which; a failed batch's marks carry no number.
                    skip: dict[str, Any] = {"line": int(r.where)} if r.where else {}
                    skip |= {"skipped": r.reason, "error": r.error}
                    line = json.dumps(skip, ensure_ascii=False)
                    lines.append(line if raw_out is None else line.encode("utf-8", out_errors))
                else:
                    lines.append(next(encoded))
        answered += len(results)
        if answered >= wanted:
            caught_up.set()

    pipeline = build_pipeline(
        settings,
        analyzer,
        outputs=[write],
        keep_skips=True,
        dedupe=False,
        flood=False,
        inline=True,
    ).pipeline
    if isinstance(pipeline, InlinePipeline):
        pipeline.batch_limit = max(1, args.batch)  # (a chunk read is one batch)
    pipeline.start()
    # A chunk of plain lines at once where that is the same (see _plain_chunk).
    offer_many = getattr(pipeline, "offer_many", None)
    at_once = offer_many is not None and not args.jsonl and _valid_room(args.room)
    try:
        for first, chunk in _stdin_chunks(max(1, args.batch)):
            comments = _plain_chunk(chunk, args.room) if at_once else None
            if comments is not None:
                assert offer_many is not None
                wanted += len(comments)
                offer_many(comments, "stdin")
                chunk = []
            for lineno, raw in enumerate(chunk, first + 1):
                item = _classify_line(raw.removesuffix(b"\r"), args)
                if item is None:
                    continue
                wanted += 1
                if isinstance(item, RecordError):
                    await pipeline.reject(item, "stdin", str(lineno))
                elif pipeline.offer_nowait(item, "stdin") is None:
                    await pipeline.put(item, "stdin")  # (the buffer is full: wait)
            pipeline.cut()  # (inline: this chunk's answers are written now)
            if answered < wanted:
                caught_up.clear()
                await caught_up.wait()
            if lines:
                if raw_out is None:
                    out.write("\n".join(lines) + "\n")
                    out.flush()
                else:
                    out.flush()  # (anything written as text first goes first)
                    raw_out.write(b"\n".join(lines) + b"\n")
                    raw_out.flush()
                lines.clear()
        await pipeline.drain()
    finally:
        await pipeline.close()
    return 0


def _plain_chunk(chunk: list[bytes], room: str) -> list[Comment] | None:
    """The comments :func:`_classify_line` makes of a chunk of plain lines (a
    room that passes its checks), if every line is one: valid UTF-8 and within
    :data:`MAX_TEXT_CHARS` (else None: the chunk goes line by line, each bad
    line rejected in its place).

    One decode for the chunk, and one comprehension for its comments: the
    same comments, each stamped with its own receive time, at a fraction of
    a call per line (``tests/test_offer_many.py``). UTF-8 decodes the lines
    joined by ``\n`` exactly as it decodes each (``\n`` is a byte of no other
    character), and a line that is not valid stays invalid joined.
    """
    try:
        text = b"\n".join(chunk).decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if "\r" in text:
        lines = [line.removesuffix("\r") for line in lines]
    if max(map(len, lines)) > MAX_TEXT_CHARS:
        return None
    now = time.time
    return [
        new_comment(room, line, now(), None, NO_USER, "comment" if line.strip() else "system")
        for line in lines
    ]


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
    if len(text) <= MAX_TEXT_CHARS and _valid_room(args.room):
        # What from_dict makes of this record (its checks all pass: a valid
        # room; text strictly decoded from UTF-8, so without surrogates, within
        # the limit; a comment only if not blank), at a third of its cost.
        return Comment(args.room, text, time.time(), kind=kind)
    try:
        return Comment.from_dict(
            {"room": args.room, "text": text, "kind": kind}, received_at=time.time()
        )
    except RecordError as err:
        return err


@functools.lru_cache(maxsize=8)
def _valid_room(room: str) -> bool:
    """Whether ``room`` passes :meth:`Comment.from_dict`'s checks of a room."""
    try:
        Comment.from_dict({"room": room, "text": "x"}, received_at=0.0)
    except RecordError:
        return False
    return True


def _stdin_chunks(limit: int) -> Iterator[tuple[int, list[bytes]]]:
    """Yield (lines before it, its raw lines) for chunks of up to ``limit``
    lines from stdin (each line as read: without its ``\n``, with any ``\r``).

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
        for start in range(0, len(parts), limit):
            yield lineno + start, parts[start : start + limit]
        lineno += len(parts)


def _readable(fd: int) -> bool:
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(ready)

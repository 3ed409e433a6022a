"""The alert stage alone: CPU of :class:`AlertStage` over a replay's own verdicts (issue #14).

Run from the repository root::

    python bench/alerts_stage_bench.py                       # the dense real-barrage recording
    python bench/alerts_stage_bench.py --rec some.jsonl      # any recording
    python bench/alerts_stage_bench.py --profile tottime     # cProfile of one pass instead

Without ``--rec`` it uses ``run.py``'s 100,000-comment one-room recording
(``--layout dense``: the real barrage, 20 comments a second), made under
``--tmp`` if it is not there yet (measurement only: never in the repository).

It replays the recording once through the real pipeline with the alert
stage on, keeping the result batches the stage is given (the analyser's
verdicts, in the replay's own batches), then feeds the same batches to
fresh :class:`AlertStage` objects ``--runs`` times and prints the smallest
in-process CPU time (``time.process_time``) of a pass, every pass, the
number of alert events, a hash of the events (to compare trees: it must not
change), and the manager's work counters. Run it with ``PYTHONPATH`` set to
another checkout's ``src`` (from that checkout's folder, for its lexicons)
to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent


def _recording(args: argparse.Namespace) -> Path:
    if args.rec:
        return Path(args.rec)
    tmp = Path(args.tmp)
    path = tmp / "realtraffic.dense.jsonl"
    if not path.exists():
        sys.path.insert(0, str(ROOT))
        import run  # bench/run.py: the same recording its replay row uses

        spec = argparse.Namespace(
            input="realtraffic", data=args.data or str(run.DEFAULT_DATA), n=args.n, layout="dense"
        )
        run.prepare(spec, tmp)
    return path


def _batches(recording: Path) -> tuple[Any, list[list[Any]]]:
    """The settings and the result batches a replay hands the alert stage."""
    from roomwatch.compose import analyzer_for, build_pipeline
    from roomwatch.config import load_settings
    from roomwatch.heap import settle_heap
    from roomwatch.sources.replay import ReplaySource
    from roomwatch.stages.alert import AlertStage

    settings = load_settings(None, environ={}, generate_missing_tokens=False)
    batches: list[list[Any]] = []
    real = AlertStage.__call__

    def keep(self: AlertStage, results: Any) -> Any:
        batches.append(list(results))
        return real(self, results)

    async def replay() -> None:
        analyzer = analyzer_for(settings)
        settle_heap()
        pipeline = build_pipeline(
            settings,
            analyzer,
            outputs=[],
            keep_skips=True,
            stages=("alerts",),
            alert_listeners=[lambda event: None],
        ).pipeline
        pipeline.start()
        source = ReplaySource([recording], speed=0.0, room=None, on_record=lambda *a: None)
        await source.run(pipeline)
        await pipeline.drain()
        await pipeline.close()

    AlertStage.__call__ = keep  # type: ignore[method-assign]
    try:
        asyncio.run(replay())
    finally:
        AlertStage.__call__ = real  # type: ignore[method-assign]
    return settings, batches


def _once(settings: Any, batches: list[list[Any]]) -> tuple[float, int, str, Any]:
    from roomwatch.stages.alert import AlertStage

    stage = AlertStage(settings.alerts, lag_alert_s=settings.pipeline.lag_alert_s)
    digest = hashlib.sha256()
    events = 0

    def listen(event: Any) -> None:
        nonlocal events
        events += 1
        digest.update(json.dumps(event.to_dict(), ensure_ascii=False, sort_keys=True).encode())

    stage.add_listener(listen)
    started = time.process_time()
    for batch in batches:
        stage(batch)
    return time.process_time() - started, events, digest.hexdigest()[:16], stage.manager.work


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rec", help="a recording (default: run.py's dense real barrage)")
    parser.add_argument("--tmp", default="/tmp/roomwatch-bench", help="where it is made")
    parser.add_argument("--data", help="the realtraffic folder (default: run.py's)")
    parser.add_argument("--n", type=int, default=100_000, help="comments in the made recording")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="SORT", help="cProfile one pass, sorted by SORT")
    args = parser.parse_args()
    recording = _recording(args)
    settings, batches = _batches(recording)
    results = sum(map(len, batches))
    print(f"{recording}: {len(batches)} batches, {results} results", file=sys.stderr)
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        _once(settings, batches)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.profile).print_stats(40)
        return 0
    times = []
    for _ in range(args.runs):
        gc.collect()
        spent, events, digest, work = _once(settings, batches)
        times.append(spent)
    print(
        f"alert stage CPU s: min {min(times):.3f} (runs {' '.join(f'{t:.3f}' for t in times)}); "
        f"{events} events, hash {digest}; {work}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

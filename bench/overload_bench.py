"""Overload: end-to-end lag with and without degrade mode at a rate over capacity.

An in-process `Service` (all serve stages, the shipped model) is fed at
``--rate`` comments/s for ``--seconds`` straight into its pipeline
(``Pipeline.offer``, the source boundary; backpressure holds the feeder when
the queue is full). Each record's ``ts`` is its *scheduled* send time, so a
record held back by backpressure counts its wait as lag, as a platform's
comment would. Every verdict's ``lag_s`` is kept; the table shows lag
percentiles over the run and in its last quarter, comments shed and the
throughput, for degrade mode off and on (same input, same rate).

Inputs: ``realtraffic`` (the real Bilibili barrage in
``../shared/data/realtraffic/``, read for measurement only, never written
anywhere) or ``demo`` (``samples/demo.jsonl.gz``). Texts are cycled; the
memo is left on, as in serve.

    python bench/overload_bench.py --rate 6000 --seconds 20
    python bench/overload_bench.py --input demo --rate 6000 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from prometheus_client import CollectorRegistry  # noqa: E402

from roomwatch.config import settings_from_dict  # noqa: E402
from roomwatch.core.analyze import Analyzer  # noqa: E402
from roomwatch.core.record import Comment, User  # noqa: E402
from roomwatch.core.result import Result  # noqa: E402
from roomwatch.core.shed import ShedCount  # noqa: E402
from roomwatch.core.verdict import Verdict  # noqa: E402
from roomwatch.heap import settle_heap  # noqa: E402
from roomwatch.service import Service  # noqa: E402

DATA = ROOT.parent / "shared/data/realtraffic/bilibili_video_danmaku.tsv"
for _p in (ROOT.parent, ROOT.parent.parent, Path("/work")):
    if (_p / "shared/data/realtraffic/bilibili_video_danmaku.tsv").is_file():
        DATA = _p / "shared/data/realtraffic/bilibili_video_danmaku.tsv"
        break


def texts(source: str, n: int) -> list[tuple[str, str]]:
    """(room, text) pairs."""
    if source == "demo":
        with gzip.open(ROOT / "samples/demo.jsonl.gz", "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        return [(r["room"], r["text"]) for r in rows if r["kind"] == "comment"][:n]
    out = []
    with DATA.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out.append((f"v{row['video']}", row["text"]))
            if len(out) >= n:
                break
    return out


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def feeder_cpu_us(items: list[tuple[str, str]], n: int = 200_000) -> float:
    """CPU µs the bench's own feeder spends per comment outside roomwatch
    (building the ``Comment`` and ``User``, its ids and ts), measured alone,
    so that it can be taken out of the serving process's figure."""
    rate = 1.0
    start = time.time()
    sink = []
    t0 = time.process_time()
    for sent in range(n):
        room, text = items[sent % len(items)]
        ts = start + sent / rate
        c = Comment(room=room, text=text, ts=ts, id=f"b{sent}", user=User(id=f"u{sent % 5000}"))
        if sent % 1000 == 0:
            sink.append(c)
    return (time.process_time() - t0) / n * 1e6


def _cpu_of(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes so far (from /proc)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _rss_of(pids: Sequence[int]) -> float:
    """Summed RSS of these processes now, in MB."""
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


async def run(
    analyzer: Analyzer,
    items: list[tuple[str, str]],
    rate: float,
    seconds: float,
    degrade: bool,
    workers: int = 0,
    pipeline_extra: dict[str, Any] | None = None,
    feeder_us: float = 0.0,
) -> dict[str, Any]:
    lags: list[tuple[float, float]] = []  # (scheduled ts, lag)
    shed_lags: list[tuple[float, float]] = []  # (newest ts, largest lag) per shed count

    class Keep:
        def __call__(self, results: Sequence[Result]) -> None:
            for r in results:
                if isinstance(r, Verdict) and r.lag_s is not None:
                    lags.append((r.comment.ts, r.lag_s))

        def count_shed(self, counts: Sequence[ShedCount]) -> None:
            for s in counts:
                if s.lag_max is not None:
                    shed_lags.append((s.newest, s.lag_max))

    keep = Keep()

    settings = settings_from_dict(
        {
            "server": {"host": "127.0.0.1", "port": 0},
            "recorder": {"enabled": False},
            "store": {"path": str(Path(tempfile.mkdtemp()) / "rw.sqlite3")},
            "pipeline": {
                "overload_degrade": degrade,
                "lag_alert_s": 0.0,
                "analysis_processes": workers,
                **(pipeline_extra or {}),
            },
            "limits": {"user_comments_per_s": 0},
        },
        environ={},
        generate_missing_tokens=True,
    )
    async with Service(
        settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[keep]
    ) as svc:
        pipeline = svc.graph.pipeline
        start = time.time()
        tick = 0.01
        sent = 0
        cpu0 = time.process_time()
        total = int(rate * seconds)
        while sent < total:
            due = min(total, int((time.time() - start) * rate) + 1)
            while sent < due:
                room, text = items[sent % len(items)]
                ts = start + sent / rate  # when the platform sent it
                c = Comment(
                    room=room, text=text, ts=ts, id=f"b{sent}", user=User(id=f"u{sent % 5000}")
                )
                await pipeline.offer(c, "bench")
                sent += 1
            await asyncio.sleep(tick)
        fed_at = time.time()
        await pipeline.drain()
        done_at = time.time()
        cpu = time.process_time() - cpu0
        shed = pipeline.shed
        processed = pipeline.processed
        # The analysis processes (if any), before the service stops them.
        pids = pipeline.pool.pids() if pipeline.pool is not None else []
        cpu_children = _cpu_of(pids)
        rss = _rss_of([os.getpid(), *pids])
    all_lags = [lag for _, lag in lags]
    late = [lag for ts, lag in lags if ts >= start + 0.75 * seconds]
    # The largest lag of any comment (verdict or shed) sent in each 5 s of the run.
    step = 5.0
    windows = [0.0] * max(1, int(-(-seconds // step)))
    for ts, lag in (*lags, *shed_lags):
        w = min(len(windows) - 1, max(0, int((ts - start) // step)))
        windows[w] = max(windows[w], lag)
    return {
        "workers": workers,
        "degrade": degrade,
        "sent": total,
        "verdicts": len(lags),
        "shed": shed,
        "feed_s": fed_at - start,
        "drain_s": done_at - fed_at,
        "throughput_per_s": processed / (done_at - start),
        "cpu_s": cpu,
        "cpu_us_per_comment": cpu / total * 1e6,
        "feeder_us": feeder_us,
        "cpu_us_less_feeder": cpu / total * 1e6 - feeder_us,
        "cpu_children_s": cpu_children,
        "rss_mb": rss,
        "load": os.getloadavg()[0],
        "lag_p50": pct(all_lags, 0.5),
        "lag_p99": pct(all_lags, 0.99),
        "lag_max": max(all_lags, default=float("nan")),
        "late_p50": pct(late, 0.5),
        "late_max": max(late, default=float("nan")),
        "lag_max_by_5s": " ".join(f"{w:.1f}" for w in windows),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--input", choices=["realtraffic", "demo"], default="realtraffic")
    p.add_argument("--rate", type=float, default=6000.0, help="comments per second fed")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--n", type=int, default=100_000, help="distinct texts cycled")
    p.add_argument("--json", help="write the rows here too")
    p.add_argument(
        "--workers", type=int, default=0, help="pipeline.analysis_processes (0: a thread)"
    )
    p.add_argument(
        "--only", choices=["off", "on"], help="run degrade mode off or on only (default: both)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a [pipeline] setting for both runs (JSON value), e.g. overload_deep_after_s=1",
    )
    p.add_argument(
        "--default-gc",
        action="store_true",
        help="keep CPython's default collector settings (before: no settle_heap as serve has)",
    )
    args = p.parse_args()
    extra = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    analyzer = Analyzer.load(ROOT / "models", ROOT / "lexicons")
    items = texts(args.input, args.n)
    if not args.default_gc:
        # What `serve` does once the model is loaded (roomwatch.cli): without
        # it the bench measured CPython's default collector thresholds, not serve.
        settle_heap()
    feeder_us = feeder_cpu_us(items)
    rows = []
    modes = (False, True) if args.only is None else (args.only == "on",)
    for degrade in modes:
        rows.append(
            asyncio.run(
                run(
                    analyzer,
                    items,
                    args.rate,
                    args.seconds,
                    degrade,
                    args.workers,
                    extra,
                    feeder_us,
                )
            )
        )
        analyzer._memo.clear()  # each run starts cold alike
    cols = [
        "workers",
        "degrade",
        "sent",
        "verdicts",
        "shed",
        "feed_s",
        "drain_s",
        "throughput_per_s",
        "cpu_s",
        "cpu_us_per_comment",
        "feeder_us",
        "cpu_us_less_feeder",
        "cpu_children_s",
        "rss_mb",
        "load",
        "lag_p50",
        "lag_p99",
        "lag_max",
        "late_p50",
        "late_max",
        "lag_max_by_5s",
    ]
    print(f"input={args.input} rate={args.rate:g}/s seconds={args.seconds:g} set={extra}")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print(
            "| "
            + " | ".join(f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c]) for c in cols)
            + " |"
        )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

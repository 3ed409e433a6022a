"""Throughput of the SQLite store (:mod:`roomwatch.sinks.store`) on a real file.

Measures, each on a fresh file in a temporary folder (or ``--dir``):

* batched audit inserts through ``submit_audit`` (the fire-and-forget path):
  rows/s from the first submit to the last row committed, and the event-loop
  lag seen by an ``asyncio.sleep(0.01)`` ticker meanwhile;
* awaited audit inserts (``await add_audit``), one transaction each;
* alert upserts through ``submit_alert`` (batched) and ``await upsert_alert``,
  over a working set of ``--alerts`` ids so most calls update a row;
* ``export_audits_csv`` of everything written, rows/s.

Run::

    PYTHONPATH=src python bench/store_bench.py
    PYTHONPATH=src python bench/store_bench.py --rows 200000 --dir /var/tmp
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from roomwatch.sinks.store import Store

T0 = 1764158400.0


class Ticker:
    """Measures how late ``asyncio.sleep(0.01)`` wakes up while work runs."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    async def _run(self) -> None:
        while not self._stop:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append(max(0.0, time.perf_counter() - before - 0.01))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> str:
        self._stop = True
        assert self._task is not None
        await self._task
        if not self.lags:
            return "loop lag: no ticks"
        lags = sorted(self.lags)
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        return (
            f"loop lag over {len(lags)} ticks: median {statistics.median(lags) * 1e3:.1f} ms,"
            f" p99 {p99 * 1e3:.1f} ms, max {lags[-1] * 1e3:.1f} ms"
        )


def _audit(i: int) -> dict[str, Any]:
    return {
        "ts": T0 + i * 0.01,
        "actor": f"helper-{i % 7}",
        "role": "helper",
        "action": ("claim", "answer", "dismiss", "pin")[i % 4],
        "target_kind": "queue_item",
        "target_id": f"q{i}",
        "room": f"room-{i % 5}",
        "ok": i % 13 != 0,
        "error": None if i % 13 else "already_claimed",
        "detail": {"text": "主播这个链接怎么买", "n": i},
    }


def _alert(i: int, n_ids: int) -> dict[str, Any]:
    aid = i % n_ids
    return {
        "id": f"alert-{aid}",
        "room": f"room-{aid % 5}",
        "detector": "negative_spike",
        "key": "",
        "severity": ("info", "warning", "critical")[i % 3],
        "state": "open",
        "started_at": T0 + aid,
        "updated_at": T0 + i,
        "resolved_at": None,
        "summary": "差评激增",
        "evidence": {
            "count": i,
            "window_seconds": 60.0,
            "top_terms": [["发货", 12], ["退款", 7]],
            "samples": [{"text": "怎么还不发货", "ts": T0 + i}],
        },
    }


async def _timed(label: str, n: int, work: Callable[[], Awaitable[None]]) -> None:
    ticker = Ticker()
    ticker.start()
    started = time.perf_counter()
    await work()
    took = time.perf_counter() - started
    lag = await ticker.stop()
    print(f"{label:<44} {n:>8} rows {took:7.3f} s {n / took:>10,.0f} rows/s   {lag}")


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="batched audit rows")
    parser.add_argument("--awaited", type=int, default=2_000, help="awaited single inserts")
    parser.add_argument("--upserts", type=int, default=50_000, help="alert upserts")
    parser.add_argument("--alerts", type=int, default=200, help="distinct alert ids")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the test files")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"SQLite files in {folder}; load average {load} on {os.cpu_count()} CPUs")
        registry = CollectorRegistry()
        async with await Store.open(
            folder / "bench.sqlite3", registry=registry, max_backlog=args.rows + args.upserts
        ) as s:
            loop_time = 0.0

            async def produce(n: int, submit: Callable[[int], bool]) -> None:
                # Slices of 100 rows, yielding between them like a pipeline.
                nonlocal loop_time
                loop_time = 0.0
                for first in range(0, n, 100):
                    t = time.perf_counter()
                    for i in range(first, min(n, first + 100)):
                        submit(i)
                    loop_time += time.perf_counter() - t
                    await asyncio.sleep(0)
                await s.flush()

            async def submit_audits() -> None:
                await produce(args.rows, lambda i: s.submit_audit(**_audit(i)))

            await _timed("submit_audit (batched, end to end)", args.rows, submit_audits)
            print(f"    cost on the event loop: {loop_time / args.rows * 1e6:.1f} µs/row")

            async def flush_only() -> None:
                for i in range(args.rows):
                    s.submit_audit(**_audit(args.rows + i))
                # Time only the write: the rows are already in the backlog.
                await _timed("  the same, one pre-built batch, write only", args.rows, s.flush)

            await flush_only()

            async def awaited_audits() -> None:
                for i in range(args.awaited):
                    await s.add_audit(**_audit(2 * args.rows + i))

            await _timed("await add_audit (one txn each)", args.awaited, awaited_audits)

            async def submit_alerts() -> None:
                await produce(args.upserts, lambda i: s.submit_alert(_alert(i, args.alerts)))

            label = f"submit_alert (batched, {args.alerts} ids)"
            await _timed(label, args.upserts, submit_alerts)
            print(f"    cost on the event loop: {loop_time / args.upserts * 1e6:.1f} µs/row")

            n_awaited = min(args.upserts, args.awaited)

            async def awaited_alerts() -> None:
                for i in range(n_awaited):
                    await s.upsert_alert(_alert(i, args.alerts))

            await _timed("await upsert_alert (one txn each)", n_awaited, awaited_alerts)

            total = 2 * args.rows + args.awaited
            csv_path = folder / "audit.csv"

            async def export() -> None:
                n = await s.export_audits_csv(csv_path)
                assert n == total, (n, total)

            await _timed("export_audits_csv", total, export)
            open_alerts = await s.open_alerts()
            assert len(open_alerts) == min(args.alerts, args.upserts)
        dropped, errors = (
            sum(
                m.value
                for metric in registry.collect()
                if metric.name == family
                for m in metric.samples
                if m.name.endswith("_total") and m.labels["component_id"] == "store"
            )
            for family in ("roomwatch_component_discarded_events", "roomwatch_component_errors")
        )
        size = (folder / "bench.sqlite3").stat().st_size
        csv_size = csv_path.stat().st_size
        print(f"dropped {dropped:.0f}, errors {errors:.0f}")
        print(f"file size after close: {size / 1e6:.1f} MB; CSV {csv_size / 1e6:.1f} MB")


if __name__ == "__main__":
    asyncio.run(main())

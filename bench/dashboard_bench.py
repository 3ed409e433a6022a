"""Benchmark the moderator dashboard under load, in real headless Chromium.

Run from the repository root::

    python bench/dashboard_bench.py                  # 10 minutes (the target run)
    python bench/dashboard_bench.py --duration 60    # a quick look

The real service (with :func:`roomwatch.moderation.install`) runs on
loopback; records from ``samples/demo.jsonl.gz`` (re-stamped with fresh ids,
three rooms, the current time) are POSTed to ``/ingest`` at ``--rate``
comments/s (2,000 by default) in batches every 50 ms. Two dashboards are open.

Figures:

* **Frame rate** of the first dashboard: requestAnimationFrame callbacks
  counted over ``--fps-window`` seconds (20 by default), at the start and at
  the end of the run (target ≥ 30 fps).
* **JS heap** of the first dashboard after a forced GC
  (CDP ``HeapProfiler.collectGarbage`` + ``Runtime.getHeapUsage``) every 30 s
  over the whole run (target: flat).
* **Action → other dashboard latency**: every 2 s the first dashboard sends
  ``ignore`` for one review item over its WebSocket; the second dashboard's
  DOM removal of that item is timestamped by a MutationObserver (same browser,
  same wall clock). Median and p90 (target median < 200 ms).
* The comment rate the service actually processed.

``--without-alerts`` takes the alert stage out of the pipeline so the figures
are the dashboard's own (the alert detectors run on the event loop; when they
fall behind, every WebSocket client, this benchmark's included, waits).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from roomwatch.assets import asset_dir  # noqa: E402
from roomwatch.config import settings_from_dict  # noqa: E402
from roomwatch.core.analyze import Analyzer  # noqa: E402
from roomwatch.moderation import install  # noqa: E402
from roomwatch.service import Service  # noqa: E402

MOD = "bench-moderator-token"
INGEST = "bench-ingest-token"
ROOMS = ("beauty-live-1126", "county-apples-1126", "tea-garden-1126")

_WATCH = """() => {
  window.__seen = new Map();
  new MutationObserver((muts) => {
    const now = Date.now();
    for (const m of muts) for (const n of m.addedNodes)
      if (n.dataset && n.dataset.id && !window.__seen.has(n.dataset.id))
        window.__seen.set(n.dataset.id, now);
  }).observe(document.getElementById('audit'), {childList: true});
}"""

_ACT = """async () => {
  const s = window.__rw;
  const first = document.querySelector('#queue li');
  if (!first) return null;
  const id = first.dataset.id;
  const room = s.queue.get(id).item.room;
  const t0 = Date.now();
  const reply = await Promise.race([s.stream.send('ignore', {room, ids: [id]}),
    new Promise((r) => setTimeout(() => r({ok: false, error: 'timeout'}), 5000))]);
  return {id: reply.ok ? reply.decision.id : id, t0, ok: reply.ok, error: reply.error || null};
}"""

_FPS = """(ms) => new Promise((resolve) => {
  let n = 0; const t0 = performance.now();
  function f(t) {
    n++;
    if (t - t0 < ms) requestAnimationFrame(f); else resolve(n * 1000 / (t - t0));
  }
  requestAnimationFrame(f);
})"""


def load_texts() -> list[dict[str, Any]]:
    with gzip.open(ROOT / "samples" / "demo.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


async def feed(url: str, rate: int, stop: asyncio.Event, rows: list[dict[str, Any]]) -> None:
    step = 0.05
    per = max(1, int(rate * step))
    counter = itertools.count()
    src = itertools.cycle(rows)
    headers = {"Authorization": f"Bearer {INGEST}", "Content-Type": "application/x-ndjson"}
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            now = time.time()
            lines = []
            for _ in range(per):
                r = next(src)
                n = next(counter)
                lines.append(
                    json.dumps(
                        {
                            "room": ROOMS[n % len(ROOMS)],
                            "text": r["text"],
                            "ts": now,
                            "id": f"b-{n}",
                            "user": r.get("user") or {"id": f"u{n % 5000}"},
                        },
                        ensure_ascii=False,
                    )
                )
            async with session.post(
                f"{url}/ingest", data="\n".join(lines).encode(), headers=headers
            ) as resp:
                await resp.read()
            next_at += step
            await asyncio.sleep(max(0.0, next_at - loop.time()))


async def heap(cdp: Any) -> float:
    await cdp.send("HeapProfiler.collectGarbage")
    usage = await cdp.send("Runtime.getHeapUsage")
    return float(usage["usedSize"]) / 1e6


async def timed(aw: Any, timeout: float) -> Any:
    """``aw``'s result, or None when the page doesn't answer in time (overloaded)."""
    try:
        return await asyncio.wait_for(aw, timeout)
    except TimeoutError:
        return None


class Observer:
    """A raw WebSocket client of the stream channel: when each decision arrived."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    async def run(self, url: str) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{url.replace('http', 'ws', 1)}/ws/stream?token={MOD}") as ws,
        ):
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT or '"decision"' not in msg.data[:40]:
                    continue
                d = json.loads(msg.data)
                if d.get("type") == "decision":
                    self.seen.setdefault(d["decision"]["id"], time.time() * 1000)


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    v = sorted(values)
    p90 = v[int(0.9 * (len(v) - 1))]
    return (
        f"{name}: n={len(v)} median {statistics.median(v):.0f} ms, p90 {p90:.0f} ms,"
        f" max {v[-1]:.0f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    from playwright.async_api import async_playwright

    tmp = Path(tempfile.mkdtemp(prefix="rw-dash-bench-"))
    settings = settings_from_dict(
        {
            "server": {"host": "127.0.0.1", "port": 0},
            "store": {"path": str(tmp / "rw.sqlite3")},
            "moderation": {"actions_per_minute": 1000},
            "tokens": [
                {"role": "moderator", "token": MOD, "name": "bench-mod"},
                {"role": "ingest", "token": INGEST, "name": "bench-ingest"},
            ],
        },
        environ={},
        generate_missing_tokens=False,
    )
    analyzer = Analyzer.load(asset_dir("models"), asset_dir("lexicons"))
    service = Service(settings, analyzer=analyzer, registry=CollectorRegistry())
    install(service)
    if args.without_alerts:
        # Isolate the dashboard from the alert stage's cost (see --help).
        service.pipeline._outputs.remove(service.alerts)
    rows = load_texts()
    stop = asyncio.Event()
    observer = Observer()
    async with service, async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=args.chromium,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        a = await browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        a.on("pageerror", lambda e: errors.append(str(e)))
        await a.goto(f"{service.url}/moderator#token={MOD}")
        cdp = await a.context.new_cdp_session(a)
        watcher = asyncio.create_task(observer.run(service.url))
        feeder = asyncio.create_task(feed(service.url, args.rate, stop, rows))
        t_start = time.monotonic()
        p0 = service.pipeline.processed
        await asyncio.sleep(10)  # warm up
        window = args.fps_window
        fps_start = await timed(a.evaluate(_FPS, window * 1000), window + 30)
        print(f"fps (first {window:.0f} s under load): {fps_start}", flush=True)
        heaps: list[tuple[float, float]] = []
        ws_lat: list[float] = []
        unanswered = 0
        next_heap = time.monotonic()
        end = t_start + args.duration - window - 5
        while time.monotonic() < end:
            if time.monotonic() >= next_heap:
                h = await timed(heap(cdp), 20)
                if h is not None:
                    heaps.append((time.monotonic() - t_start, h))
                    print(f"heap t={heaps[-1][0]:.0f}s {h:.1f} MB", flush=True)
                next_heap += 30
            act = await timed(a.evaluate(_ACT), 15)
            if act and act["ok"]:
                for _ in range(100):
                    if act["id"] in observer.seen:
                        ws_lat.append(observer.seen[act["id"]] - act["t0"])
                        break
                    await asyncio.sleep(0.05)
            elif act is None or not act["ok"]:
                unanswered += 1
            await asyncio.sleep(2)
        fps_end = await timed(a.evaluate(_FPS, window * 1000), window + 30)
        h = await timed(heap(cdp), 20)
        if h is not None:
            heaps.append((time.monotonic() - t_start, h))
        # A second dashboard, still under load: action on one -> shown on the other.
        b = await browser.new_page(viewport={"width": 1440, "height": 900})
        b.on("pageerror", lambda e: errors.append(str(e)))
        await b.goto(f"{service.url}/moderator#token={MOD}")
        await timed(b.evaluate(_WATCH), 30)
        page_lat: list[float] = []
        for _ in range(args.latency_samples):
            act = await timed(a.evaluate(_ACT), 15)
            if act and act["ok"]:
                for _ in range(100):
                    seen = await timed(
                        b.evaluate("(id) => window.__seen && window.__seen.get(id)", act["id"]),
                        5,
                    )
                    if seen:
                        page_lat.append(seen - act["t0"])
                        break
                    await asyncio.sleep(0.05)
            await asyncio.sleep(1)
        elapsed = time.monotonic() - t_start
        processed = service.pipeline.processed - p0
        stop.set()
        await feeder
        watcher.cancel()
        dom = await timed(
            a.evaluate(
                "() => [document.querySelectorAll('#stream li').length,"
                " document.querySelectorAll('#queue li').length,"
                " document.querySelectorAll('*').length]"
            ),
            30,
        )
        await browser.close()
    print()
    alerts = "without the alert stage" if args.without_alerts else "full pipeline"
    print(f"duration            {elapsed:.0f} s, target rate {args.rate}/s, {alerts}")
    print(f"processed           {processed} comments = {processed / elapsed:.0f}/s")
    print(f"fps start / end     {fps_start} / {fps_end}   (target >= 30; None = no answer)")
    if heaps:
        first, last = heaps[0][1], heaps[-1][1]
        peak = max(x for _, x in heaps)
        print(
            f"JS heap after GC    first {first:.1f} MB, last {last:.1f} MB, max {peak:.1f} MB"
            f" ({len(heaps)} samples)"
        )
    print(summary("action -> server fan-out (raw WS client)", ws_lat))
    print(summary("action -> second dashboard's DOM (target median < 200)", page_lat))
    print(f"actions unanswered  {unanswered}")
    print(f"DOM at end          stream rows, queue rows, elements: {dom}")
    if errors:
        print("page errors:", errors[:5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--rate", type=int, default=2000, help="comments/s (default 2000)")
    parser.add_argument("--fps-window", type=float, default=20.0, help="seconds of rAF counting")
    parser.add_argument(
        "--latency-samples", type=int, default=20, help="actions timed on two dashboards"
    )
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--without-alerts",
        action="store_true",
        help="take the alert stage out of the pipeline, to measure the dashboard alone",
    )
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

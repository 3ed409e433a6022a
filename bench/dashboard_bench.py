"""Benchmark the moderator dashboard under load, in real headless Chromium.

Run from the repository root::

    python bench/dashboard_bench.py                  # 10 minutes (the target run)
    python bench/dashboard_bench.py --duration 60    # a quick look

Three processes, as in production: the service runs as ``python -m roomwatch
serve --config <temp toml>`` in its own process, with the full pipeline (the
alert stage included), a store in a temp dir, the recorder off, two moderator
tokens and one ``[[sources.websocket]]`` pointing at this bench's upstream
server. The upstream server (the load generator) runs in its own thread and
event loop in the bench process: every 20 ms it sends a JSON array of
``--rate``/50 comment records from ``samples/demo.jsonl.gz`` (comments only,
re-stamped with fresh ids, three rooms, the send time). Playwright drives
Debian's Chromium (the flags ``tests/web/conftest.py`` uses) from the bench's
main event loop. So neither the generator nor the browser driver competes with
the service's event loop for anything but the machine's cores.

Figures:

* **Load**: comments sent by the generator and comments the service processed
  (``GET /healthz`` ``processed``, start and end of the measured span, and every
  30 s), per second. If processed falls short of sent, the service fell behind.
* **CPU** of the service (``/proc/<pid>/stat``, user + system), of the bench
  process (its generator thread separately) and of the browser (Chromium and
  Playwright's driver: the bench's other child processes), as a share of one
  core. The machine's load average before and after.
* **Frame rate** of the first dashboard: requestAnimationFrame callbacks
  counted over ``--fps-window`` seconds (20 by default), at the start and at
  the end of the run (target ≥ 30 fps).
* **JS heap** of the first dashboard after a forced GC
  (CDP ``HeapProfiler.collectGarbage`` + ``Runtime.getHeapUsage``) every 30 s
  over the whole run (target: flat).
* **Action → server fan-out**: every 2 s the first dashboard (moderator A)
  sends ``ignore`` for one review item over its WebSocket; a raw WebSocket
  client of the ``stream`` channel (moderator B's token) timestamps the
  decision's arrival.
* **Action → other dashboard latency**: at the end, a second dashboard
  (moderator B) opens, still under load; ``--latency-samples`` actions on the
  first are timed to the second's DOM (a MutationObserver on the audit list;
  same browser, same wall clock). Median and p90 (target median < 200 ms).

``--duration`` is the single-dashboard part (warm-up, fps at the start, the
heap samples, fps at the end); the two-dashboard latency part comes after it
and adds about ``--latency-samples`` × 1.2 s. Load and CPU figures cover both
parts. There is no ``--without-alerts`` any more: it existed because the service,
the generator and the browser driver shared one event loop, which the alert
stage saturated; the service now has its own process, as in production.
The temp dir (config, store, the service's log) is removed at the end; the
service's WARNING-and-up log lines are printed first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
from _serve import cpu_seconds, free_port, start_serve, wait_healthy
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]

MOD_A = "bench-moderator-a-token"
MOD_B = "bench-moderator-b-token"
ROOMS = ("beauty-live-1126", "county-apples-1126", "tea-garden-1126")
TICK = 0.02  # the generator sends one frame every 20 ms

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


def load_rows() -> list[dict[str, Any]]:
    """The sample's comment records (text and user), in order."""
    with gzip.open(ROOT / "samples" / "demo.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [
        {"text": r["text"], "user": r.get("user")}
        for r in rows
        if r.get("kind", "comment") == "comment" and r.get("text", "").strip()
    ]


def descendants_cpu(root: int, exclude: set[int]) -> float:
    """CPU seconds of the live descendants of ``root`` (minus ``exclude`` and theirs)."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(fields[1])
    total = 0.0
    for pid in parent:
        p, inside = pid, False
        while p in parent and p not in exclude:
            p = parent[p]
            if p == root:
                inside = True
                break
        if inside and pid not in exclude:
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
    return total


def write_config(tmp: Path, port: int, upstream_port: int) -> Path:
    cfg = tmp / "bench.toml"
    cfg.write_text(
        f"""
[server]
host = "127.0.0.1"
port = {port}
[store]
path = "{tmp / "rw.sqlite3"}"
[recorder]
enabled = false
[moderation]
actions_per_minute = 1000
[[tokens]]
role = "moderator"
token = "{MOD_A}"
name = "bench-mod-a"
[[tokens]]
role = "moderator"
token = "{MOD_B}"
name = "bench-mod-b"
[[sources.websocket]]
name = "bench"
url = "ws://127.0.0.1:{upstream_port}/"
""",
        encoding="utf-8",
    )
    return cfg


class Generator:
    """The upstream the service's websocket source connects to, on its own thread.

    Sends ``rate * TICK`` records per frame on a fixed schedule (a late frame
    is followed by the next one at once, so the average rate holds while the
    thread keeps up). ``sent`` counts records handed to the connection.
    """

    def __init__(self, port: int, rate: int, rows: list[dict[str, Any]]) -> None:
        self.port = port
        self.per = max(1, round(rate * TICK))
        self.rows = rows
        self.sent = 0
        self.connections = 0
        self.cpu = 0.0  # the thread's CPU seconds, set when it ends
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self.stop = threading.Event()
        self._counter = itertools.count()
        self._src = itertools.cycle(rows)
        self._thread = threading.Thread(target=self._main, name="generator", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self.ready.wait(10):
            raise RuntimeError(f"generator did not start: {self.error!r}")

    def close(self) -> None:
        self.stop.set()
        self._thread.join(10)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by the bench
            self.error = exc
            self.ready.set()
        finally:
            self.cpu = time.thread_time()

    async def _serve(self) -> None:
        async with serve(self._upstream, "127.0.0.1", self.port, max_size=None):
            self.ready.set()
            while not self.stop.is_set():
                await asyncio.sleep(0.1)

    async def _upstream(self, conn: ServerConnection) -> None:
        self.connections += 1
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not self.stop.is_set():
            now = time.time()
            batch = []
            for _ in range(self.per):
                r = next(self._src)
                n = next(self._counter)
                batch.append(
                    {
                        "room": ROOMS[n % len(ROOMS)],
                        "text": r["text"],
                        "ts": now,
                        "id": f"b-{n}",
                        "user": r["user"] or {"id": f"u{n % 5000}"},
                    }
                )
            try:
                await conn.send(json.dumps(batch, ensure_ascii=False))
            except ConnectionClosed:
                return  # the service went away (the end of the run)
            self.sent += len(batch)
            next_at += TICK
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
            session.ws_connect(
                f"{url.replace('http', 'ws', 1)}/ws/stream?token={MOD_B}", max_msg_size=0
            ) as ws,
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
    p90 = v[math.ceil(0.9 * len(v)) - 1]  # nearest rank
    return (
        f"{name}: n={len(v)} median {statistics.median(v):.0f} ms, p90 {p90:.0f} ms,"
        f" max {v[-1]:.0f} ms"
    )


class Meter:
    """Sent / processed counts and CPU seconds at one moment."""

    def __init__(
        self, t: float, sent: int, processed: int, service: float, bench: float, browser: float
    ) -> None:
        self.t, self.sent, self.processed = t, sent, processed
        self.service, self.bench, self.browser = service, bench, browser


async def measure(
    session: aiohttp.ClientSession, url: str, gen: Generator, service_pid: int
) -> Meter:
    async with session.get(f"{url}/healthz") as r:
        processed = int((await r.json())["processed"])
    return Meter(
        time.monotonic(),
        gen.sent,
        processed,
        cpu_seconds(service_pid),
        time.process_time(),
        descendants_cpu(os.getpid(), {service_pid}),
    )


def span(a: Meter, b: Meter) -> str:
    dt = b.t - a.t
    return (
        f"sent {(b.sent - a.sent) / dt:.0f}/s, processed {(b.processed - a.processed) / dt:.0f}/s,"
        f" service CPU {(b.service - a.service) / dt:.0%}, bench {(b.bench - a.bench) / dt:.0%},"
        f" browser {(b.browser - a.browser) / dt:.0%}"
    )


async def run(args: argparse.Namespace) -> None:
    from playwright.async_api import async_playwright

    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="rw-dash-bench-"))
    port, upstream_port = free_port(), free_port()
    cfg = write_config(tmp, port, upstream_port)
    url = f"http://127.0.0.1:{port}"
    gen = Generator(upstream_port, args.rate, load_rows())
    gen.start()
    log = (tmp / "serve.log").open("wb")
    proc = start_serve(cfg, stderr=log)
    print(f"roomwatch serve pid {proc.pid} on {url}; config {cfg}", flush=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}", flush=True)
    observer = Observer()
    meters: list[Meter] = []
    try:
        async with aiohttp.ClientSession() as session, async_playwright() as p:
            await wait_healthy(session, url, proc)
            browser = await p.chromium.launch(
                executable_path=args.chromium,
                args=[
                    "--no-sandbox",
                    "--headless",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            a = await browser.new_page(viewport={"width": 1440, "height": 900})
            errors: list[str] = []
            a.on("pageerror", lambda e: errors.append(str(e)))
            await a.goto(f"{url}/moderator#token={MOD_A}")
            cdp = await a.context.new_cdp_session(a)
            watcher = asyncio.create_task(observer.run(url))
            start = await measure(session, url, gen, proc.pid)
            meters.append(start)
            t_start = start.t
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
                    m = await measure(session, url, gen, proc.pid)
                    if h is not None:
                        heaps.append((m.t - t_start, h))
                    print(
                        f"t={m.t - t_start:.0f}s heap {h if h is None else round(h, 1)} MB;"
                        f" last interval: {span(meters[-1], m)}",
                        flush=True,
                    )
                    meters.append(m)
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
            await b.goto(f"{url}/moderator#token={MOD_B}")
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
            last = await measure(session, url, gen, proc.pid)
            meters.append(last)
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
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        gen.close()
        log.close()
    load_after = os.getloadavg()
    elapsed = last.t - start.t
    print()
    print(f"duration            {elapsed:.0f} s measured, target rate {args.rate}/s, full pipeline")
    sent, processed = last.sent - start.sent, last.processed - start.processed
    print(
        f"load                sent {sent} = {sent / elapsed:.0f}/s;"
        f" service processed {processed} = {processed / elapsed:.0f}/s"
        f" (healthz processed at end: {last.processed}; upstream connections: {gen.connections})"
    )
    if len(meters) > 2:
        rates = [
            (m2.processed - m1.processed) / (m2.t - m1.t) for m1, m2 in itertools.pairwise(meters)
        ]
        print(f"processed/s per interval  min {min(rates):.0f}, max {max(rates):.0f}")
    print(
        f"CPU (share of one core)  service {(last.service - start.service) / elapsed:.0%},"
        f" bench process {(last.bench - start.bench) / elapsed:.0%}"
        f" (generator thread {gen.cpu:.1f} s in all),"
        f" browser+driver {(last.browser - start.browser) / elapsed:.0%}"
    )
    print(f"fps start / end     {fps_start} / {fps_end}   (target >= 30; None = no answer)")
    if heaps:
        first, final = heaps[0][1], heaps[-1][1]
        peak = max(x for _, x in heaps)
        print(
            f"JS heap after GC    first {first:.1f} MB, last {final:.1f} MB, max {peak:.1f} MB"
            f" ({len(heaps)} samples)"
        )
    print(summary("action -> server fan-out (raw WS client)", ws_lat))
    print(summary("action -> second dashboard's DOM (target median < 200)", page_lat))
    print(f"actions unanswered  {unanswered}")
    print(f"DOM at end          stream rows, queue rows, elements: {dom}")
    print(
        f"load average        before {' '.join(f'{x:.2f}' for x in load_before)},"
        f" after {' '.join(f'{x:.2f}' for x in load_after)} (on {os.cpu_count()} CPUs)"
    )
    if errors:
        print("page errors:", errors[:5])
    if gen.error is not None:
        print("generator error:", repr(gen.error))
    served = (tmp / "serve.log").read_text(encoding="utf-8", errors="replace").strip()
    if served:
        print("service log (WARNING and up), last lines:")
        print("\n".join(served.splitlines()[-10:]))
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--rate", type=int, default=2000, help="comments/s (default 2000)")
    parser.add_argument("--fps-window", type=float, default=20.0, help="seconds of rAF counting")
    parser.add_argument(
        "--latency-samples", type=int, default=20, help="actions timed on two dashboards"
    )
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

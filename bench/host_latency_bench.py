"""Latency from a comment entering roomwatch to its queue item reaching a host client.

Starts `roomwatch serve` as a subprocess on loopback, connects a host client,
and feeds one room at a steady rate (default 2,000 comments/s, the issue's
target load) through the websocket source: comments from the bundled sample,
re-stamped with the send time as `ts`. For every `added`/`updated` item the
client receives, latency = receive time - item.last_seen (the `ts` of the
newest ask folded into it). Reports p50/p90/p99/max, the achieved rate and
how many comments the service processed.

    python bench/host_latency_bench.py [--rate 2000] [--seconds 30]

Target (issue 4): p99 under 100 ms at 2,000 comments/s.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from websockets.asyncio.server import ServerConnection, serve

ROOT = Path(__file__).resolve().parents[1]
ROOM = "bench-room"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def texts() -> list[str]:
    with gzip.open(ROOT / "samples/demo.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [r["text"] for r in rows if r.get("kind", "comment") == "comment" and r["text"].strip()]


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=2000.0, help="comments per second")
    ap.add_argument("--seconds", type=float, default=30.0, help="how long to feed")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds not measured at the start")
    args = ap.parse_args()

    pool = texts()
    port, upstream_port = free_port(), free_port()
    tmp = Path(tempfile.mkdtemp(prefix="rw-bench-"))
    cfg = tmp / "bench.toml"
    cfg.write_text(
        f"""
[server]
port = {port}
[store]
path = "{tmp / "rw.sqlite3"}"
[recorder]
enabled = false
[[tokens]]
role = "host"
token = "bench-host-token"
[[sources.websocket]]
name = "bench"
url = "ws://127.0.0.1:{upstream_port}/"
""",
        encoding="utf-8",
    )

    sent_at: list[float] = []
    done = asyncio.Event()

    async def upstream(conn: ServerConnection) -> None:
        # Frames every 10 ms, each with rate/100 records stamped with send time.
        per_tick = max(1, round(args.rate / 100))
        start = time.monotonic()
        n = 0
        i = 0
        while time.monotonic() - start < args.seconds:
            now = time.time()
            batch = []
            for _ in range(per_tick):
                batch.append(
                    {
                        "room": ROOM,
                        "text": pool[i % len(pool)],
                        "ts": now,
                        "id": f"b{i}",
                        "user": {"id": f"u{i % 5000}"},
                    }
                )
                i += 1
            await conn.send(json.dumps(batch, ensure_ascii=False))
            sent_at.append(now)
            n += 1
            await asyncio.sleep(max(0.0, start + n * 0.01 - time.monotonic()))
        done.set()
        await conn.wait_closed()

    env = dict(os.environ)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "roomwatch",
            "serve",
            "--config",
            str(cfg),
            "--log-level",
            "WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    try:
        async with serve(upstream, "127.0.0.1", upstream_port, max_size=None):
            async with aiohttp.ClientSession() as session:
                for _ in range(200):
                    try:
                        async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                ws = await session.ws_connect(
                    f"http://127.0.0.1:{port}/ws/host?token=bench-host-token", max_msg_size=0
                )
                t0 = time.time()
                cpu_before = _cpu_seconds(proc.pid)
                while not done.is_set() or time.time() - t0 < args.seconds + 2:
                    try:
                        msg = await asyncio.wait_for(ws.receive(), 1.0)
                    except TimeoutError:
                        if done.is_set():
                            break
                        continue
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    now = time.time()
                    data = json.loads(msg.data)
                    item = data.get("item")
                    measured = data.get("type") in ("added", "updated") and item
                    if measured and now - t0 > args.warmup:
                        latencies.append(now - item["last_seen"])
                cpu_after = _cpu_seconds(proc.pid)
                async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                    health = await r.json()
                async with session.get(f"http://127.0.0.1:{port}/metrics") as r:
                    metrics_text = await r.text()
                await ws.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    fed = len(sent_at) * max(1, round(args.rate / 100))
    inside = _histogram(metrics_text, "roomwatch_pipeline_latency_seconds")
    achieved = fed / args.seconds
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else []
    print(
        f"fed {fed} comments in {args.seconds:.0f} s ({achieved:.0f}/s); "
        f"service processed {health['processed']}"
    )
    print(f"host updates measured: {len(latencies)}")
    print(
        f"service CPU: {cpu_after - cpu_before:.1f} s over the run "
        f"({(cpu_after - cpu_before) / args.seconds:.0%} of one core)"
    )
    if q:
        print(
            f"latency p50 {q[49] * 1000:.1f} ms  p90 {q[89] * 1000:.1f} ms  "
            f"p99 {q[98] * 1000:.1f} ms  max {max(latencies) * 1000:.1f} ms  (target p99 < 100 ms)"
        )
    if inside:
        print(
            "inside the service (entered -> stages done), cumulative share by bucket: "
            + ", ".join(f"<= {le * 1000:g} ms: {share:.0%}" for le, share in inside)
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _histogram(text: str, name: str) -> list[tuple[float, float]]:
    """(bucket upper bound, cumulative share) pairs of a Prometheus histogram."""
    buckets: list[tuple[float, float]] = []
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket{{"):
            le = line.split('le="')[1].split('"')[0]
            if le != "+Inf":
                buckets.append((float(le), float(line.rsplit(" ", 1)[1])))
    total = next(
        (float(r.rsplit(" ", 1)[1]) for r in text.splitlines() if r.startswith(f"{name}_count")),
        0.0,
    )
    return [(le, n / total) for le, n in buckets] if total else []


if __name__ == "__main__":
    asyncio.run(main())

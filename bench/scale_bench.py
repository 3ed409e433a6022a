"""Scaling out over Redis Streams (issue #16): throughput with 1 and 2 workers, and the
latency the Redis path adds over embedded mode.

Part 1, throughput. A recording (``samples/demo.jsonl.gz`` by default) goes
through ``roomwatch gateway`` (a flat-out replay source) and 1, then 2
``roomwatch worker`` subprocesses on a redis-server of the bench's own. Both
runs take the same recording, laid out the same way: each of its rooms is
split round robin into ``--rooms`` rooms (the demo has 2 rooms: the default
256 makes 512 rooms of ~59 records each, 30,130 records with ``--repeat
2``), over ``--shards`` shards (16, the default of ``streams.shards``). A
room is pinned to ``crc32(room) % shards`` and workers share shards by
count, so rooms must far outnumber shards for the load to split evenly:
with ``--rooms 16`` (32 rooms, the first runs' layout) the busiest of two
workers had 55% of the records on average and 62% at p90 over the random
shard assignments; with 512 rooms, 50.6% and 51%. The report gives each
run's actual split (``busiest_worker_share``).

The workers are running and balanced before the gateway starts, then paused
(SIGSTOP) while it fills the shards, and let go together: the rate is
records processed (acknowledged) per wall second while a backlog remains.
Each role's CPU seconds come from ``/proc``, and each worker's time spent
runnable but waiting for a CPU from ``schedstat`` (the machine's other load,
not waiting on Redis). Run it with CPU priority on a shared machine (a
``setsid`` script that first does ``echo -20 > /proc/self/autogroup``).

Part 2, latency. Records are offered at ``--rate`` comments/s (``ts`` =
their send time, as a live source) for ``--seconds``, each timed from its
offer to its verdict leaving: in embedded mode, the pipeline's output (the
graph ``serve`` builds, in-process); over Redis, the gateway's fan-out
receiving the worker's output entry (gateway in-process, one worker
subprocess). Reported: p50, p99, max, and the difference of the p99s.

    python bench/scale_bench.py                     # both parts
    python bench/scale_bench.py --part throughput --rooms 16
    python bench/scale_bench.py --part latency --rate 2000 --seconds 20

``RW_PYSPY=1`` samples the workers with py-spy while they process
(``--keep DIR`` keeps the samples); ``RW_PROFILE=1`` runs them under cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._serve import ROOT, cpu_seconds, free_port


def _redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def _config(tmp: Path, url: str, prefix: str, shards: int, replay: Path | None) -> Path:
    lines = [
        "[server]",
        "port = 0",
        "[store]",
        f'path = "{tmp / (prefix + ".sqlite3")}"',
        "[recorder]",
        "enabled = false",
        "[streams]",
        f'redis_url = "{url}"',
        f'prefix = "{prefix}"',
        f"shards = {shards}",
        f'spool_path = "{tmp / (prefix + ".spool")}"',
        "worker_port = 0",
        # Long leases: the throughput run pauses the workers while the gateway fills the shards.
        "lease_ttl_s = 60.0",
        "claim_idle_s = 1.0",
        # Neither role starts without it (docs/streams.md, "Signed actions").
        'action_secret = "bench-action-secret-0123456789abcdef"',
    ]
    if replay is not None:
        lines += ["[[sources.replay]]", f'paths = ["{replay}"]', "speed = 0"]
    path = tmp / f"{prefix}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _spread(src: Path, dst: Path, parts: int, repeat: int) -> tuple[int, int]:
    """The recording with each of its rooms split into ``parts`` rooms, round robin
    (ids kept unique), ``repeat`` times; the records written and the rooms."""
    n = 0
    rooms: set[str] = set()
    with gzip.open(src, "rt", encoding="utf-8") as fh, dst.open("w", encoding="utf-8") as out:
        records = [json.loads(line) for line in fh if line.strip()]
        for rep in range(repeat):
            for i, r in enumerate(records):
                r = dict(r)
                r["room"] = f"{r['room']}-{i % parts}"
                rooms.add(r["room"])
                if "id" in r:
                    r["id"] = f"{r['id']}-{rep}"
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
                n += 1
    return n, len(rooms)


def _profiled(log: Path) -> list[str]:
    """``RW_PROFILE=1``: run the workers under cProfile (``<log>.prof``)."""
    return ["-m", "cProfile", "-o", f"{log}.prof"] if os.environ.get("RW_PROFILE") else []


def _sched(pid: int) -> tuple[float, float]:
    """Seconds the process's threads ran and waited runnable for a CPU (``schedstat``)."""
    ran = waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError):
            fields = (task / "schedstat").read_text().split()
            ran += int(fields[0])
            waited += int(fields[1])
    return ran / 1e9, waited / 1e9


def _spies(
    procs: list[subprocess.Popen[bytes]], tmp: Path, prefix: str
) -> list[subprocess.Popen[bytes]]:
    """``RW_PYSPY=1``: sample each worker with py-spy (``<tmp>/<prefix>-w<i>.pyspy``,
    raw collapsed stacks, idle included) while it processes the backlog."""
    if not os.environ.get("RW_PYSPY"):
        return []
    spy = Path(sys.executable).with_name("py-spy")

    def raw(i: int) -> list[str]:
        return ["-f", "raw", "-o", str(tmp / f"{prefix}-w{i}.pyspy")]

    return [
        subprocess.Popen(
            [str(spy), "record", "--pid", str(p.pid), "--threads", "-r", "100", *raw(i)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, p in enumerate(procs)
    ]


def _worker(config: Path, name: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen(
            [
                sys.executable,
                *_profiled(log),
                "-m",
                "roomwatch",
                "worker",
                "-c",
                str(config),
                "--name",
                name,
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _progress(r: Any, prefix: str, shards: int) -> int:
    """Input entries read and acknowledged so far, over every shard (one round trip)."""
    pipe = r.pipeline(transaction=False)
    for k in range(shards):
        pipe.xinfo_groups(f"{prefix}:in:{k}")
    done = 0
    for groups in pipe.execute(raise_on_error=False):
        if isinstance(groups, Exception):  # no such stream (yet): a shard without rooms
            continue
        for g in groups:
            if g["name"] in (b"workers", "workers"):
                done += int(g["entries-read"] or 0) - int(g["pending"])
    return done


#: The bench's redis-server's pid (its CPU is reported per run).
REDIS_PID = 0


def throughput(
    tmp: Path, url: str, workers: int, recording: Path, total: int, shards: int, rooms: int
) -> dict[str, Any]:
    import redis

    r = redis.Redis.from_url(url)
    prefix = f"tp{workers}"
    config = _config(tmp, url, prefix, shards, recording)
    procs = [_worker(config, f"{prefix}-w{i}", tmp / f"{prefix}-w{i}.log") for i in range(workers)]
    # Workers up and balanced (each holds its share) before any record arrives.
    deadline = time.monotonic() + 120
    while True:
        owners = [r.get(f"{prefix}:lease:{k}") for k in range(shards)]
        counts = {o: owners.count(o) for o in set(owners) if o}
        if (
            None not in owners
            and len(counts) == workers
            and max(counts.values()) - min(counts.values()) <= 1
        ):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"workers did not balance: {counts}")
        time.sleep(0.1)
    # Saturation: the workers wait (SIGSTOP) while the gateway fills the shards, then go.
    for p in procs:
        os.kill(p.pid, signal.SIGSTOP)
    with (tmp / f"{prefix}-gw.log").open("wb") as fh:
        gw = subprocess.Popen(
            [sys.executable, "-m", "roomwatch", "gateway", "-c", str(config)],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    spies: list[subprocess.Popen[bytes]] = []
    try:
        while sum(int(r.xlen(f"{prefix}:in:{k}")) for k in range(shards)) < total:
            if time.monotonic() > deadline + 600:
                raise SystemExit("the gateway did not add the recording")
            time.sleep(0.05)
        gw_cpu = cpu_seconds(gw.pid)
        cpu0 = {p.pid: cpu_seconds(p.pid) for p in procs}
        sched0 = {p.pid: _sched(p.pid) for p in procs}
        gw0, redis0 = cpu_seconds(gw.pid), cpu_seconds(REDIS_PID)
        load0 = os.getloadavg()[0]
        bench0 = time.process_time()
        started = time.monotonic()
        for p in procs:
            os.kill(p.pid, signal.SIGCONT)
        spies += _spies(procs, tmp, prefix)
        while True:
            done = _progress(r, prefix, shards)
            if done >= total:
                break
            if time.monotonic() > deadline + 600:
                status = {k: r.xinfo_groups(f"{prefix}:in:{k}") for k in range(shards)}
                raise SystemExit(f"only {done} of {total} processed: {status}")
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        # Records per worker: its shards' lengths (leases last 60 s: no shard moved).
        share: dict[str, int] = {}
        for k in range(shards):
            owner = (r.get(f"{prefix}:lease:{k}") or b"?").decode()
            share[owner] = share.get(owner, 0) + int(r.xlen(f"{prefix}:in:{k}"))
        bench_cpu = time.process_time() - bench0
        load1 = os.getloadavg()[0]
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        worker_cpu = [cpu_seconds(p.pid) - cpu0[p.pid] for p in procs]
        # Waiting for a CPU while runnable: the share of the run a worker lost to other
        # processes (the machine's load), not to its own waiting on Redis.
        worker_wait = [_sched(p.pid)[1] - sched0[p.pid][1] for p in procs]
        gw_during = cpu_seconds(gw.pid) - gw0
        redis_during = cpu_seconds(REDIS_PID) - redis0
    finally:
        for spy in spies:
            if spy.poll() is None:
                spy.kill()
                spy.wait()
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
        _stop(gw)
        for p in procs:
            _stop(p)
        r.close()
    return {
        "workers": workers,
        "records": total,
        "seconds": round(elapsed, 2),
        "records_per_s": round(total / elapsed, 1) if elapsed > 0 else None,
        "rooms": rooms,
        "records_per_worker": dict(sorted(share.items())),
        "busiest_worker_share": round(max(share.values()) / total, 3),
        "worker_cpu_s": [round(c, 2) for c in worker_cpu],
        "records_per_worker_cpu_s": round(total / sum(worker_cpu), 1),
        "worker_busy_share": [round(c / elapsed, 2) for c in worker_cpu],
        "worker_runqueue_wait_s": [round(w, 2) for w in worker_wait],
        "gateway_cpu_s_to_add_all": round(gw_cpu, 2),
        "gateway_cpu_s_while_processing": round(gw_during, 2),
        "redis_cpu_s_while_processing": round(redis_during, 2),
        "bench_poller_cpu_s": round(bench_cpu, 2),
        "loadavg_1m_start_end": [round(load0, 2), round(load1, 2)],
    }


def _records(n: int) -> list[dict[str, Any]]:
    with gzip.open(ROOT / "samples" / "demo.jsonl.gz", "rt", encoding="utf-8") as fh:
        base = [json.loads(line) for line in fh if line.strip()]
    return [dict(base[i % len(base)], id=f"lat-{i}") for i in range(n)]


def _pct(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    q = statistics.quantiles(values, n=100)
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(values[-1] * 1000, 2),
        "n": len(values),
    }


async def _feed(
    offer: Any, records: list[dict[str, Any]], rate: float, sent: dict[str, float]
) -> None:
    from roomwatch.core.record import Comment

    loop = asyncio.get_running_loop()
    start = loop.time()
    tick = 0.005
    per_tick = rate * tick
    i = 0
    while i < len(records):
        due = start + (i / rate)
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        for _ in range(max(1, int(per_tick))):
            if i >= len(records):
                break
            raw = dict(records[i], ts=time.time())
            c = Comment.from_dict(raw, received_at=float("nan"))
            sent[c.id or ""] = time.perf_counter()
            await offer(c, "bench")
            i += 1


async def latency_embedded(records: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    from roomwatch.compose.graph import STAGES, analyzer_for, build_pipeline
    from roomwatch.config import Settings

    settings = Settings()
    sent: dict[str, float] = {}
    lat: list[float] = []

    def out(results: Any) -> None:
        now = time.perf_counter()
        for v in results:
            t = sent.get(getattr(v.comment, "id", None) or "")
            if t is not None:
                lat.append(now - t)

    stages = tuple(s for s in STAGES if s != "moderation")
    graph = build_pipeline(
        settings, analyzer_for(settings), stages=stages, outputs=[out], guard=True
    )
    graph.pipeline.start()
    await _feed(graph.pipeline.offer, records, rate, sent)
    await graph.pipeline.drain()
    return _pct(lat)


async def latency_redis(
    tmp: Path, url: str, records: list[dict[str, Any]], rate: float
) -> dict[str, Any]:
    from roomwatch.compose.gateway import Gateway
    from roomwatch.config import load_settings

    config = _config(tmp, url, "lat", 4, None)
    worker = _worker(config, "lat-w0", tmp / "lat-w0.log")
    gw = Gateway(load_settings(config, environ={}))
    sent: dict[str, float] = {}
    lat: list[float] = []
    handle = gw.fanout.handle

    def stamped(data: Any) -> None:
        now = time.perf_counter()
        for _, v in json.loads(data or "{}").get("verdicts", ()):
            t = sent.get(v.get("id") or "")
            if t is not None:
                lat.append(now - t)
        handle(data)

    gw.fanout.handle = stamped  # type: ignore[method-assign]
    try:
        import redis

        r = redis.Redis.from_url(url)
        while not all(r.get(f"lat:lease:{k}") for k in range(4)):
            await asyncio.sleep(0.1)
        await gw.start()
        await _feed(gw.producer.offer, records, rate, sent)
        deadline = time.monotonic() + 60
        while len(lat) < len(records) * 0.99 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        cpu = cpu_seconds(worker.pid)
    finally:
        await gw.close()
        _stop(worker)
    return {**_pct(lat), "worker_cpu_s": round(cpu, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--part", choices=["throughput", "latency", "both"], default="both")
    ap.add_argument("--recording", type=Path, default=ROOT / "samples" / "demo.jsonl.gz")
    ap.add_argument(
        "--rooms",
        type=int,
        default=256,
        help="split each of the recording's rooms into this many (the demo has 2 rooms:"
        " 256 gives 512 rooms; 16 gives the 32 rooms of the first runs)",
    )
    ap.add_argument("--repeat", type=int, default=2, help="times the recording is repeated")
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 2")
    ap.add_argument("--keep", type=Path, help="keep logs and configs in this folder")
    args = ap.parse_args()
    report: dict[str, Any] = {"loadavg_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="rw-scale-") as d:
        tmp = Path(d)
        if args.keep:
            tmp = args.keep
            tmp.mkdir(parents=True, exist_ok=True)
        redis_proc, url = _redis(tmp)
        global REDIS_PID
        REDIS_PID = redis_proc.pid
        try:
            if args.part in ("throughput", "both"):
                rec = tmp / "spread.jsonl"
                total, rooms = _spread(args.recording, rec, args.rooms, args.repeat)
                runs = [
                    throughput(tmp, url, int(n), rec, total, args.shards, rooms)
                    for n in args.workers.split(",")
                ]
                report["throughput"] = runs
                if len(runs) == 2 and runs[0]["records_per_s"] and runs[1]["records_per_s"]:
                    report["ratio"] = round(runs[1]["records_per_s"] / runs[0]["records_per_s"], 2)
                report["loadavg_after_throughput"] = os.getloadavg()
            if args.part in ("latency", "both"):
                records = _records(int(args.rate * args.seconds))
                report["latency_embedded"] = asyncio.run(latency_embedded(records, args.rate))
                report["latency_redis"] = asyncio.run(latency_redis(tmp, url, records, args.rate))
                report["added_p99_ms"] = round(
                    report["latency_redis"]["p99_ms"] - report["latency_embedded"]["p99_ms"], 2
                )
                report["loadavg_after_latency"] = os.getloadavg()
        finally:
            redis_proc.terminate()
            redis_proc.wait()
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Crash safety: `kill -9` a loaded `roomwatch serve` at random moments, restart, check.

Each run starts `roomwatch serve` on the same state folder (SQLite and
recordings carry over from run to run), loads it (HTTP ingest into rooms of
its own, a helper claiming host-queue items and a moderator hiding and
ignoring review items over real WebSockets), and `kill -9`s it after a
random 0.5-4 s. It then restarts the service on the same folder (it must
come up healthy: the store opens and passes its integrity check, crash
leftovers of the recorder are taken over), stops it with SIGTERM and checks:

* ``PRAGMA integrity_check`` says ``ok``;
* every action that got an ``ack`` is in SQLite (host claims and moderation
  decisions in ``audit``; hides also in ``actions``);
* ``roomwatch replay`` reads every recording of the folder and exits 0; a
  partial last line left by the kill is skipped with a warning (counted);
* every record an ``/ingest`` answer acknowledged is in the recording
  (the answer waits for the recorder's write).

Prints one table row per run and a summary; exits 1 if any run failed a
check. ``--json`` writes the rows.

    python bench/crash_repeat.py --runs 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from _load import (
    ROOT,
    Actor,
    Poster,
    audit_rows,
    free_port,
    integrity,
    recorded_ids,
    start_serve,
    wait_healthy,
    write_config,
)

COLUMNS = (
    ("run", 3),
    ("kill_s", 6),
    ("acked_rec", 9),
    ("rec_lost", 8),
    ("host_ack", 8),
    ("host_lost", 9),
    ("mod_ack", 7),
    ("mod_lost", 8),
    ("integrity", 9),
    ("replay", 6),
    ("partial", 7),
    ("restart", 7),
    ("ok", 3),
)


async def one_run(run: int, state: Path, rnd: random.Random, log: Path) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cfg = write_config(state, port)
    rooms = [f"c{run:02d}-{i}" for i in range(6)]
    kill_after = round(rnd.uniform(0.5, 4.0), 2)
    with log.open("ab") as err:
        proc = start_serve(cfg, stderr=err, log_level="WARNING")
    poster = Poster(url, rooms, batch=30, interval_s=0.01, prefix=f"c{run}-")
    actor = Actor(url)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, url, proc)
            stop = asyncio.Event()
            tasks = [
                asyncio.create_task(poster.run(session, stop)),
                asyncio.create_task(actor.host(session, stop)),
                asyncio.create_task(actor.moderator(session, stop)),
            ]
            await asyncio.sleep(kill_after)
            proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(proc.wait)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # Restart on the same folder; it must come up, then stop cleanly.
    port = free_port()
    cfg = write_config(state, port)
    with log.open("ab") as err:
        proc = start_serve(cfg, stderr=err, log_level="WARNING")
    restart_ok = True
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, f"http://127.0.0.1:{port}", proc)
    except (RuntimeError, TimeoutError):
        restart_ok = False
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            restart_ok = proc.wait(timeout=60) == 0 and restart_ok
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            restart_ok = False

    db = state / "rw.sqlite3"
    check = integrity(db)
    rows = audit_rows(db)
    host_lost = [k for k in actor.host_acks if ("claim", k[0], k[1]) not in rows]
    with sqlite3.connect(db) as conn:
        hidden = {
            (r, c) for r, c in conn.execute("SELECT room, comment_id FROM actions").fetchall()
        }
    mod_lost = [
        k
        for k in actor.mod_acks
        if (f"moderation.{k[0]}", k[1], k[2]) not in rows
        or (k[0] == "hide" and (k[1], k[2]) not in hidden)
    ]
    ids, _bad = recorded_ids(state / "recordings")
    rec_lost = len(set(poster.acked) - ids)
    replay = subprocess.run(
        [sys.executable, "-m", "roomwatch", "replay"]
        + [str(p) for p in sorted((state / "recordings").rglob("*.jsonl*"))]
        + ["--out", str(state / "replay.jsonl")],
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=600,
    )
    stderr = replay.stderr.decode(errors="replace")
    partial = sum(1 for line in stderr.splitlines() if "partial" in line or "cut short" in line)
    ok = check == "ok" and not host_lost and not mod_lost and replay.returncode == 0 and restart_ok
    return {
        "run": run,
        "kill_s": kill_after,
        "acked_rec": len(poster.acked),
        "rec_lost": rec_lost,
        "host_ack": len(actor.host_acks),
        "host_lost": len(host_lost),
        "mod_ack": len(actor.mod_acks),
        "mod_lost": len(mod_lost),
        "integrity": check,
        "replay": replay.returncode,
        "partial": partial,
        "restart": "ok" if restart_ok else "FAIL",
        "ok": "yes" if ok else "NO",
        "replay_stderr": stderr[-2000:] if replay.returncode else "",
    }


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    ap.add_argument("--state", type=Path, default=None, help="state folder (default: a temp dir)")
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    state = args.state or Path(tempfile.mkdtemp(prefix="rw-crash-"))
    log = state / "serve.log"
    state.mkdir(parents=True, exist_ok=True)
    print(f"crash_repeat: {args.runs} runs, seed {seed}, state {state}")
    print(" ".join(f"{name:>{width}}" for name, width in COLUMNS))
    rows = []
    for run in range(1, args.runs + 1):
        row = await one_run(run, state, rnd, log)
        rows.append(row)
        print(" ".join(f"{row[name]!s:>{width}}" for name, width in COLUMNS), flush=True)
        if row["replay_stderr"]:
            print(row["replay_stderr"], file=sys.stderr)
    failed = [r["run"] for r in rows if r["ok"] != "yes"]
    print(
        f"summary: {len(rows) - len(failed)}/{len(rows)} runs passed; "
        f"acked actions lost: {sum(r['host_lost'] + r['mod_lost'] for r in rows)} of "
        f"{sum(r['host_ack'] + r['mod_ack'] for r in rows)}; "
        f"acked records not recorded: {sum(r['rec_lost'] for r in rows)} of "
        f"{sum(r['acked_rec'] for r in rows)}; "
        f"partial lines skipped: {sum(r['partial'] for r in rows)}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"seed": seed, "rows": rows}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

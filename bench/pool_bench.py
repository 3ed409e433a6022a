"""The analyser in the replay process or in child processes: rate, CPU and memory.

Runs ``roomwatch replay --speed 0 REC --out FILE --alerts FILE`` with
``pipeline.analysis_processes`` = each of ``--workers`` (default 0, 1 and 2;
0: the analyser runs in a thread of the replay process),
``--runs`` times each, interleaved, on the dense one-room recording of the
real barrage that ``bench/run.py`` derives (``--n`` first rows, written
under ``--tmp``, never into the repository), or on any ``--recording``.

The analysis processes are not children of the replay (they fork from the
forkserver), so ``wait4`` does not see their CPU. The whole process tree is
sampled from ``/proc`` every 50 ms instead: CPU is the sum over every
process of its last sampled user + system time (a process's last 50 ms
can be missed), memory the peak of the summed RSS and of the summed PSS
(proportional set size: pages shared between the processes counted once,
split between them; ``/proc/PID/smaps_rollup``). The verdicts and alert
events written are compared between worker counts (they must be identical).

    python bench/pool_bench.py                       # 100,000 real comments, 1 vs 2, 3 runs
    python bench/pool_bench.py --n 35000 --runs 1 --workers 1 2 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import DEFAULT_DATA, _real_records, _real_rows  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Sample:
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> last seen CPU s
    peak_rss: float = 0.0  # MB, summed over the tree
    peak_pss: float = 0.0
    peak_procs: int = 0


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def _sample(root: int, s: Sample) -> None:
    rss = pss = 0.0
    pids = _tree(root)
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            rss_pages = int(fields[21])
            cpu = (int(fields[11]) + int(fields[12])) / TICK
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except (OSError, IndexError, ValueError):
            continue
        s.cpu[pid] = cpu
        rss += rss_pages * PAGE / 2**20
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1]) / 1024
                break
    s.peak_rss = max(s.peak_rss, rss)
    s.peak_pss = max(s.peak_pss, pss)
    s.peak_procs = max(s.peak_procs, len(pids))


def run_once(rec: Path, workers: int, tmp: Path) -> dict[str, object]:
    config = tmp / f"workers-{workers}.toml"
    config.write_text(f"[pipeline]\nanalysis_processes = {workers}\n", encoding="utf-8")
    out, alerts = tmp / f"out-{workers}.jsonl", tmp / f"alerts-{workers}.jsonl"
    argv = [
        sys.executable,
        "-m",
        "roomwatch",
        "replay",
        "--config",
        str(config),
        "--speed",
        "0",
        str(rec),
        "--out",
        str(out),
        "--alerts",
        str(alerts),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    load0 = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    s = Sample()
    while proc.poll() is None:
        _sample(proc.pid, s)
        time.sleep(0.05)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    parent = s.cpu.get(proc.pid, 0.0)
    digest = hashlib.sha256(out.read_bytes() + b"\0" + alerts.read_bytes()).hexdigest()[:16]
    return {
        "workers": workers,
        "wall_s": wall,
        "cpu_s": sum(s.cpu.values()),
        "parent_cpu_s": parent,
        "children_cpu_s": sum(s.cpu.values()) - parent,
        "peak_rss_mb": s.peak_rss,
        "peak_pss_mb": s.peak_pss,
        "procs": s.peak_procs,
        "load_start": load0,
        "load_end": os.getloadavg()[0],
        "output": digest,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=100_000, help="first N rows of the real barrage")
    p.add_argument("--recording", help="replay this recording instead")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--tmp", default=str(Path(tempfile.gettempdir()) / "roomwatch-bench"))
    p.add_argument("--json", help="also write every run here")
    args = p.parse_args()
    tmp = Path(args.tmp)
    tmp.mkdir(parents=True, exist_ok=True)
    if args.recording:
        rec = Path(args.recording)
    else:
        rec = tmp / f"pool.realtraffic.dense.{args.n}.jsonl"
        if not rec.exists():
            records = _real_records(_real_rows(DEFAULT_DATA, args.n), "dense")
            with rec.open("w", encoding="utf-8") as fh:
                for r in records:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    n = sum(1 for _ in rec.open(encoding="utf-8"))
    runs: list[dict[str, object]] = []
    for _ in range(args.runs):
        for w in args.workers:
            runs.append(run_once(rec, w, tmp))
            print(json.dumps(runs[-1]), file=sys.stderr)
    print(f"recording: {rec} ({n} records); median of {args.runs} run(s)")
    cols = ["wall_s", "cpu_s", "parent_cpu_s", "children_cpu_s", "peak_rss_mb", "peak_pss_mb"]
    head = ["workers", "records/s (wall)", "records/CPU s", *cols, "load", "output"]
    print("| " + " | ".join(head) + " |")
    print("|---|---|---|" + "---|" * len(cols) + "---|---|")
    outputs = set()
    for w in args.workers:
        mine = [r for r in runs if r["workers"] == w]
        med = {c: statistics.median(float(r[c]) for r in mine) for c in cols}  # type: ignore[arg-type]
        loads = [float(r["load_start"]) for r in mine]  # type: ignore[arg-type]
        outs = {str(r["output"]) for r in mine}
        outputs |= outs
        print(
            f"| {w} | {n / med['wall_s']:,.0f} | {n / med['cpu_s']:,.0f} | "
            + " | ".join(f"{med[c]:.1f}" for c in cols)
            + f" | {min(loads):.1f}-{max(loads):.1f} | {','.join(sorted(outs))} |"
        )
    print("outputs identical" if len(outputs) == 1 else "OUTPUTS DIFFER")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0 if len(outputs) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())

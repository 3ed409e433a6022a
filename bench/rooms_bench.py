"""Replay cost per record as rooms multiply and record time spreads out (issue #14, item 2).

Run from the repository root (a few minutes on a 2-core machine)::

    python bench/rooms_bench.py                     # 20,000 records, all recordings below
    python bench/rooms_bench.py --records 5000      # a quicker look
    python bench/rooms_bench.py --rooms 1 100       # only some room counts
    python bench/rooms_bench.py --dir /tmp/rooms    # keep / reuse the recordings

It derives recordings from the real barrage in
``/work/shared/data/realtraffic/bilibili_video_danmaku.tsv`` (measurement
only, see its README: the recordings are written under ``--dir``, a temporary
folder by default, never into the repository):

* ``many.jsonl`` — the first ``--records`` comments in send-time order, one
  room per video: a many-room recording whose comments are spread over months;
* ``dense.jsonl`` — the same texts in one room, 20 comments a second;
* ``rooms-N.jsonl`` for each ``--rooms`` N — the same texts and send times,
  comment *i* in room ``i mod N``: the same work spread over N rooms, each
  sparser as N grows.

and runs, each as its own process under ``/usr/bin/time -v``::

    python -m roomwatch replay REC --speed 0 --alerts OUT

It prints one row per recording: records, rooms, the span of record time,
CPU seconds (user + system), records per CPU second, peak RSS, and the CPU
cost per record after subtracting the start-up (a replay of a one-record
recording). Targets: ``many`` at ≥ 0.8× the ``dense`` rate, and the cost per
record flat from 1 to 10,000 rooms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TSV = Path("/work/shared/data/realtraffic/bilibili_video_danmaku.tsv")


def read_rows(limit: int) -> list[tuple[str, float, str]]:
    """(video, send time, text) of the first ``limit`` comments in send-time order."""
    rows: list[tuple[str, float, str]] = []
    with TSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for fields in reader:
            if len(fields) != 4 or not fields[3].strip():
                continue
            try:
                ts = float(fields[1])
            except ValueError:
                continue
            rows.append((fields[0], ts, fields[3]))
    rows.sort(key=lambda r: r[1])
    return rows[:limit]


def write(path: Path, records: list[tuple[str, float, str]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i, (room, ts, text) in enumerate(records):
            rec = {
                "room": room,
                "text": text,
                "ts": ts,
                "id": f"b-{i}",
                "user": {"id": f"u{i % 5000}"},
                "kind": "comment",
            }
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")


def make(folder: Path, limit: int, room_counts: list[int]) -> dict[str, Path]:
    rows = read_rows(limit)
    paths: dict[str, Path] = {}
    folder.mkdir(parents=True, exist_ok=True)

    def keep(name: str, records: list[tuple[str, float, str]]) -> None:
        path = folder / f"{name}.jsonl"
        if not path.exists():
            write(path, records)
        paths[name] = path

    keep("startup", [("v0", rows[0][1], rows[0][2])])
    keep("many", [(f"v{video}", ts, text) for video, ts, text in rows])
    t0 = rows[0][1]
    keep("dense", [("dense", t0 + i / 20.0, text) for i, (_, _, text) in enumerate(rows)])
    for n in room_counts:
        keep(f"rooms-{n}", [(f"r{i % n}", ts, text) for i, (_, ts, text) in enumerate(rows)])
    return paths


def run(path: Path, alerts: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS (MB) of one replay."""
    cmd = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "roomwatch",
        "replay",
        str(path),
        "--speed",
        "0",
        "--alerts",
        str(alerts),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")

    def field(name: str) -> float:
        match = re.search(rf"{re.escape(name)}: ([0-9.]+)", proc.stderr)
        if match is None:
            raise SystemExit(f"no {name!r} in /usr/bin/time output")
        return float(match.group(1))

    cpu = field("User time (seconds)") + field("System time (seconds)")
    return cpu, field("Maximum resident set size (kbytes)") / 1024.0


def describe(path: Path) -> tuple[int, int, float]:
    rooms: set[str] = set()
    first, last, n = float("inf"), float("-inf"), 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            rooms.add(rec["room"])
            first, last = min(first, rec["ts"]), max(last, rec["ts"])
            n += 1
    return n, len(rooms), last - first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rooms", type=int, nargs="*", default=[1, 100, 1000, 10_000])
    parser.add_argument("--dir", help="where the derived recordings go (default: a temp folder)")
    parser.add_argument("--only", nargs="*", help="run only these recordings (e.g. many dense)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp)
        paths = make(folder, args.records, args.rooms)
        startup, _ = run(paths["startup"], folder / "startup.alerts.jsonl")
        print(f"start-up (one-record replay): {startup:.2f} s CPU")
        print(
            f"{'recording':<14}{'records':>9}{'rooms':>7}{'span days':>11}"
            f"{'CPU s':>8}{'rec/CPU s':>11}{'RSS MB':>8}{'µs/rec':>9}{'alerts':>8}"
        )
        rates: dict[str, float] = {}
        for name, path in paths.items():
            if name == "startup" or (args.only and name not in args.only):
                continue
            alerts = folder / f"{name}.alerts.jsonl"
            cpu, rss = run(path, alerts)
            n, rooms, span = describe(path)
            rates[name] = n / cpu
            per = (cpu - startup) / n * 1e6
            events = sum(1 for _ in alerts.open(encoding="utf-8")) if alerts.exists() else 0
            print(
                f"{name:<14}{n:>9}{rooms:>7}{span / 86400:>11.1f}"
                f"{cpu:>8.2f}{n / cpu:>11.0f}{rss:>8.0f}{per:>9.0f}{events:>8}",
                flush=True,
            )
        if "many" in rates and "dense" in rates:
            print(f"many / dense rate: {rates['many'] / rates['dense']:.2f} (target ≥ 0.8)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())

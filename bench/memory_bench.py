"""Resident memory of the analysis stack (issue target: replay < 300 MB RSS).

Run from the repo root::

    PYTHONPATH=src python bench/memory_bench.py [--n 200000] [--recording FILE]
        [--skip-replay] [--json bench/out/memory.json]

Prints

* VmRSS of this process after the imports and after loading each component
  (Normalizer, Segmenter, Classifier), read from ``/proc/self/status``;
* VmRSS after analysing a few thousand comments (caches warm);
* the peak RSS (``ru_maxrss`` of the child) of ``roomwatch replay --speed 0``
  over a generated N-comment recording (or ``--recording``), run as a
  subprocess, plus its CPU time.

The generated recording mixes corpus texts with platform events (enter, like,
gift) across a few rooms, one record a line, gzip-compressed in a temp folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def rss_mb() -> float:
    """This process's current resident set size in MB (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def corpus_texts(corpus: Path) -> list[str]:
    texts: list[str] = []
    for path in sorted(corpus.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return texts


def write_recording(path: Path, n: int, texts: list[str], seed: int = 1) -> None:
    """An N-record recording: mostly typed comments, some platform events."""
    rng = random.Random(seed)
    rooms = [f"bench-room-{i}" for i in range(4)]
    t0 = 1764115200.0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        for i in range(n):
            roll = rng.random()
            rec: dict[str, object] = {
                "room": rooms[i % len(rooms)],
                "ts": round(t0 + i * 0.01, 3),
                "id": f"mb-{i}",
                "user": {"id": f"u{rng.randrange(50_000)}", "name": "观众", "level": 3},
            }
            if roll < 0.08:
                rec.update(kind="enter", text="")
            elif roll < 0.12:
                rec.update(kind="gift", text="送出 玫瑰×2")
            else:
                text = rng.choice(texts)
                if rng.random() < 0.5:  # vary the texts so caches see new strings
                    text += rng.choice(("", "!", "?", "吗", "呀", str(rng.randrange(1000))))
                rec.update(kind="comment", text=text)
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def load_figures(lexicons: Path, models: Path, texts: list[str]) -> dict[str, float]:
    """RSS after each component loads in this process."""
    out = {"start": rss_mb()}
    from roomwatch.core.analyze import Analyzer  # noqa: F401  (imports numpy, scipy, ...)
    from roomwatch.core.classify import Classifier
    from roomwatch.core.normalize import Normalizer
    from roomwatch.core.segment import Segmenter

    out["imports"] = rss_mb()
    normalizer = Normalizer.from_dir(lexicons)
    out["normalizer"] = rss_mb()
    segmenter = Segmenter.from_dir(lexicons)
    out["segmenter"] = rss_mb()
    classifier = Classifier.load(models, lexicons)
    out["classifier"] = rss_mb()
    sample = texts[:5000]
    for start in range(0, len(sample), 256):
        normalized = [normalizer(t) for t in sample[start : start + 256]]
        tokens = segmenter.cut_batch([n.text for n in normalized])
        classifier.predict_batch(normalized, tokens)
    out["after_5k_comments"] = rss_mb()
    return out


def replay_peak(recording: Path) -> dict[str, float]:
    """Peak RSS and CPU time of ``roomwatch replay --speed 0 recording``."""
    cmd = [sys.executable, "-m", "roomwatch", "replay", "--speed", "0", str(recording)]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of children is the largest of any child so far (KB on Linux).
    return {"peak_rss_mb": after.ru_maxrss / 1024, "cpu_seconds": cpu, "wall_seconds": wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=Path, default=ROOT / "models")
    parser.add_argument("--lexicons", type=Path, default=ROOT / "lexicons")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "live")
    parser.add_argument("--n", type=int, default=200_000, help="records in the generated replay")
    parser.add_argument("--recording", type=Path, default=None, help="replay this file instead")
    parser.add_argument("--skip-replay", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    texts = corpus_texts(args.corpus)
    result: dict[str, object] = {}
    figures = load_figures(args.lexicons, args.models, texts)
    result["load_rss_mb"] = figures
    prev = figures["start"]
    print("== RSS after loading (MB) ==")
    for name, value in figures.items():
        print(f"  {name:<18} {value:7.1f}  (+{value - prev:.1f})")
        prev = value
    if not args.skip_replay:
        with tempfile.TemporaryDirectory(prefix="roomwatch-membench-") as tmp:
            recording = args.recording
            if recording is None:
                recording = Path(tmp) / f"bench-{args.n}.jsonl.gz"
                write_recording(recording, args.n, texts)
            replay = replay_peak(recording)
        replay["records"] = args.n if args.recording is None else -1
        result["replay"] = replay
        print(
            f"== replay --speed 0 == peak RSS {replay['peak_rss_mb']:.1f} MB "
            f"[target < 300], {replay['cpu_seconds']:.1f} s CPU, "
            f"{replay['wall_seconds']:.1f} s wall ({recording.name})"
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

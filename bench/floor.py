"""What `classify` could cost at best: its stages alone, with no pipeline (issue #14).

Run from the repo root::

    python bench/floor.py [--n 100000] [--runs 3]

`bench/run.py` times whole commands. This asks a narrower question: if
everything around the analysis cost nothing (no asyncio intake, no
batching, no per-comment records or memo, no thread hand-off), how fast
would the work itself be against raw ``jieba.lcut``? Each run is a fresh
process (median of ``--runs``), process CPU seconds:

* ``start``: interpreter start, imports and loading the normaliser,
  segmenter and model (what any classify pays once);
* ``normalize``, ``segment``, ``classify``: the three stages over the
  *distinct* texts only, in batches of 1,024 (the memo's best case: a
  repeated text costs nothing);
* ``lines``: the verdict JSON lines for *every* text (one line per input).

``jieba.lcut`` is `run.py`'s row (a fresh process: import, dictionary load,
``lcut`` of every text). The floor ratio is jieba's CPU over the sum of the
parts: the most `classify` can reach without changing what the stages do.
The texts are `run.py`'s (the first ``--n`` rows of the real barrage, one
line each; measurement only, never written into the repository).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as runbench

ROOT = Path(__file__).resolve().parents[1]
BATCH = 1024

_CHILD = r"""
import json, sys, time
cpu = time.process_time
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.core.verdict import json_lines_utf8
root = Path(sys.argv[3])
B = int(sys.argv[4])
analyzer = Analyzer.load(root / "models", root / "lexicons")
out = {"start": cpu()}
texts = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
distinct = list(dict.fromkeys(texts))
parts = {"normalize": 0.0, "segment": 0.0, "classify": 0.0}
def timer(stage, seconds):
    parts[stage] += seconds
analyzer.memo_size = 0
by_text = {}
for i in range(0, len(distinct), B):
    chunk = [Comment("r", t, 0.0) for t in distinct[i : i + B]]
    for c, v in zip(chunk, analyzer.analyze(chunk, timer=timer, clock=cpu)):
        by_text[c.text] = v
out.update(parts)
t0 = cpu()
with open("/dev/null", "wb") as sink:
    for i in range(0, len(texts), B):
        sink.write(b"".join(json_lines_utf8([by_text[t] for t in texts[i : i + B]])))
out["lines"] = cpu() - t0
out["distinct"] = len(distinct)
print(json.dumps(out))
"""


def measure_parts(texts: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(texts), str(ROOT / "src"), str(ROOT), str(BATCH)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(runbench.DEFAULT_DATA), help="the realtraffic folder")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--texts", type=Path, help="a text file (one comment a line) instead")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="roomwatch-floor-") as tmp:
        texts = args.texts or Path(tmp) / "texts.txt"
        if args.texts is None:
            rows = runbench._real_rows(Path(args.data), args.n)
            texts.write_text("".join(text + "\n" for _, _, text in rows), encoding="utf-8")
        n = len(texts.read_text(encoding="utf-8").splitlines())
        jieba = [
            runbench.measure(
                [sys.executable, str(Path(runbench.__file__)), "--worker", "jieba", str(texts)]
            ).cpu_s
            for _ in range(args.runs)
        ]
        runs = [measure_parts(texts) for _ in range(args.runs)]
    keys = ("start", "normalize", "segment", "classify", "lines")
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    total = sum(med.values())
    j = statistics.median(jieba)
    print(f"{n:,} texts, {int(runs[0]['distinct']):,} distinct; median of {args.runs}")
    print(f"{'part':12s} {'CPU s':>7s}")
    for k in keys:
        print(f"{k:12s} {med[k]:7.2f}")
    print(f"{'sum':12s} {total:7.2f}")
    print(f"{'jieba.lcut':12s} {j:7.2f}")
    print(f"floor: the stages alone run at {j / total:.2f}x jieba (target for classify: 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

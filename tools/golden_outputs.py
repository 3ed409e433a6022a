"""Hash what the offline commands write for every recording under samples/.

Issue #13 asks for a behaviour-preserving restructure: the same recordings
must give byte-identical ``replay --out``, ``replay --alerts`` and ``report``
output before and after. Run this before and after a change and diff::

    python tools/golden_outputs.py > before.txt
    ... change ...
    python tools/golden_outputs.py | diff before.txt -

Each line is ``<sha256>  <recording> <output>``. ``--keep DIR`` leaves the
outputs in DIR so a difference can be read.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = (
    "mini.jsonl",
    "demo.jsonl.gz",
    "scenario-alerts.jsonl.gz",
    "scenario-unseen.jsonl.gz",
)


def _run(*args: str, stdin: Path | None = None, stdout: Path | None = None) -> None:
    cmd = [sys.executable, "-m", "roomwatch", *args]
    with (
        open(stdin, "rb") if stdin else open("/dev/null", "rb") as fin,
        open(stdout, "wb") if stdout else open("/dev/null", "wb") as fout,
    ):
        subprocess.run(cmd, stdin=fin, stdout=fout, check=True, cwd=ROOT)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="leave the outputs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep) if args.keep else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for name in RECORDINGS:
            rec = ROOT / "samples" / name
            stem = name.split(".")[0]
            verdicts, alerts = out / f"{stem}.verdicts.jsonl", out / f"{stem}.alerts.jsonl"
            html = out / f"{stem}.report.html"
            _run("replay", str(rec), "--out", str(verdicts), "--alerts", str(alerts))
            _run("report", str(rec), "--out", str(html), "--title", stem, "--tz", "UTC")
            outputs = [("replay --out", verdicts), ("replay --alerts", alerts), ("report", html)]
            if name == "mini.jsonl":
                classified = out / f"{stem}.classify.jsonl"
                _run("classify", "--jsonl", stdin=rec, stdout=classified)
                outputs.append(("classify --jsonl", classified))
            for label, path in outputs:
                print(f"{_sha(path)}  {name} {label}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

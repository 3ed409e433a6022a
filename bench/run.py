"""One table: roomwatch against raw jieba on the same input (issue #14).

Run from the repo root with the virtualenv active::

    python bench/run.py                          # real barrage, 100,000 comments
    python bench/run.py --input generated        # a generated two-room stream
    python bench/run.py --input realtraffic --n 35000 --runs 3 --json bench/out/run.json
    python bench/run.py --input mini --runs 1    # the CI smoke size (samples/mini.jsonl)

Every row is its own process, timed as a whole (user + system CPU seconds
from ``wait4``, so imports and dictionary loading count), median of
``--runs`` runs; its peak RSS is that process's ``ru_maxrss``. roomwatch's
sources are byte-compiled first, as an install has them (``--no-compile``
leaves that out; see :func:`compile_sources`):

* ``jieba.lcut``: ``import jieba`` and ``jieba.lcut(text)`` (default
  dictionary, HMM on: jieba out of the box) over every text;
* ``naive``: per comment, jieba with roomwatch's user dictionary
  (``Tokenizer.lcut(HMM=False)``) then the classifier's scores for that one
  comment (``Classifier.scores_matrix``, the model's ``predict_proba``);
  run on the first ``--naive-n`` texts (it is slow) and compared with
  ``classify`` on the same texts;
* ``classify``: ``roomwatch classify`` with the texts on stdin, verdicts to
  /dev/null;
* ``replay``: ``roomwatch replay --speed 0 REC --out /dev/null --alerts
  /dev/null`` over a one-room recording of the same texts (the full
  pipeline with triage and the alert stage);
* ``ready``: wall seconds from starting ``roomwatch serve`` to its first
  ``/healthz`` 200 (polled every 10 ms), and that process's peak RSS then.

Inputs (derived files go to ``--tmp``, never into the repository):

* ``realtraffic``: the real Bilibili barrage in
  ``../shared/data/realtraffic/bilibili_video_danmaku.tsv`` (measurement only,
  see its README), the first ``--n`` rows in file order;
* ``generated``: ``tools/gen_sample.py --seed 7`` (two rooms, with platform
  events), typed comments only for the text rows;
* ``mini``: ``samples/mini.jsonl``, for the smoke test.

For ``realtraffic`` the replay recording puts the texts in one room, 20 a
second (``--layout dense``); ``--layout rooms`` keeps each video as a room at
its original send times (months apart: that is issue #14 item 2's case).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_PLACES = (ROOT.parent, ROOT.parent.parent, Path("/work"))
DEFAULT_DATA = next(
    (p / "shared/data/realtraffic" for p in _PLACES if (p / "shared/data/realtraffic").is_dir()),
    ROOT.parent / "shared/data/realtraffic",
)
TSV = "bilibili_video_danmaku.tsv"
TYPED = ("comment", "superchat")

# Targets from issue #14 (reported, never asserted).
TARGETS = {
    "classify_vs_jieba": 1.5,
    "replay_vs_jieba": 1.0,
    "classify_vs_naive": 10.0,
    "peak_rss_mb": 300.0,
    "ready_s": 2.0,
}


# -- inputs -------------------------------------------------------------------


@dataclass
class Input:
    name: str
    texts: Path  # one text a line
    recording: Path  # JSON Lines for replay
    n_texts: int
    n_records: int


def _one_line(text: str) -> str:
    return " ".join(text.splitlines()).strip()


def prepare(args: argparse.Namespace, tmp: Path) -> Input:
    tmp.mkdir(parents=True, exist_ok=True)
    texts_path = tmp / f"{args.input}.texts.txt"
    rec_path = tmp / f"{args.input}.{args.layout}.jsonl"
    if args.input == "realtraffic":
        rows = _real_rows(Path(args.data), args.n)
        texts = [t for _v, _ts, t in rows]
        records = _real_records(rows, args.layout)
    else:
        if args.input == "mini":
            source = ROOT / "samples" / "mini.jsonl"
        else:
            source = tmp / "generated.jsonl"
            if not source.exists():
                gen = [sys.executable, str(ROOT / "tools" / "gen_sample.py")]
                subprocess.run([*gen, "--out", str(source), "--seed", "7"], check=True)
        with source.open(encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        if args.n:
            records = records[: args.n]
        texts = [
            _one_line(r["text"])
            for r in records
            if r.get("kind", "comment") in TYPED and _one_line(r["text"])
        ]
    texts_path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    with rec_path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return Input(args.input, texts_path, rec_path, len(texts), len(records))


def _real_rows(data: Path, n: int) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    with (data / TSV).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = _one_line(row["text"] or "")
            if not text:
                continue
            rows.append((row["video"], float(row["unix_ts"]), text))
            if n and len(rows) >= n:
                break
    return rows


def _real_records(rows: list[tuple[str, float, str]], layout: str) -> list[dict[str, Any]]:
    if layout == "dense":
        t0 = 1764115200.0
        return [
            {"room": "rt-dense", "text": t, "ts": t0 + i * 0.05, "id": f"rt-{i}"}
            for i, (_v, _ts, t) in enumerate(rows)
        ]
    order = sorted(range(len(rows)), key=lambda i: rows[i][1])
    return [
        {"room": f"bili-{rows[i][0]}", "text": rows[i][2], "ts": rows[i][1], "id": f"rt-{i}"}
        for i in order
    ]


def memo_hit_rate(recording: Path, size: int = 20_000) -> float:
    """The share of the recording's records the analyser's memo would answer.

    The memo (:mod:`roomwatch.core.analyze`) is an LRU of ``size`` entries
    keyed by (room if it has extra terms, typed, text); the bench's rooms
    have no terms, so the key is (typed, text). Simulated here, not counted
    in the replay: the replay's batches also merge repeats within a batch,
    which only adds hits.
    """
    from collections import OrderedDict

    seen: OrderedDict[tuple[bool, str], None] = OrderedDict()
    hits = total = 0
    with recording.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            key = (r.get("kind", "comment") in TYPED, r["text"])
            total += 1
            if key in seen:
                hits += 1
                seen.move_to_end(key)
            else:
                seen[key] = None
                if len(seen) > size:
                    seen.popitem(last=False)
    return hits / total if total else 0.0


def compile_sources() -> None:
    """Byte-compile roomwatch's sources (``src/**/__pycache__``, ignored by git).

    An installed roomwatch has its bytecode (pip compiles at install time, as
    it did jieba's); a checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (this
    box sets it) would compile every module again at each start, about 0.15 s
    of CPU the jieba row never pays. ``--no-compile`` measures that case.
    """
    import compileall

    compileall.compile_dir(ROOT / "src" / "roomwatch", quiet=1)


# -- workers (run in their own process) --------------------------------------


def worker_jieba(texts: Path) -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    lcut = jieba.lcut
    with texts.open(encoding="utf-8") as fh:
        for line in fh:
            lcut(line.rstrip("\n"))


def worker_naive(texts: Path, n: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from roomwatch.core.analyze import Analyzer

    analyzer = Analyzer.load(ROOT / "models", ROOT / "lexicons")
    normalize = analyzer.normalizer
    tokenizer = analyzer.segmenter.tokenizer
    scores = analyzer.classifier.scores_matrix
    with texts.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= n:
                break
            norm = normalize(line.rstrip("\n"))
            tokens = tuple(w for w in tokenizer.lcut(norm.text, HMM=False) if w.strip())
            scores([norm], [tokens])


# -- measuring ----------------------------------------------------------------


@dataclass
class Run:
    cpu_s: float
    wall_s: float
    rss_mb: float


@dataclass
class Row:
    name: str
    n: int
    runs: list[Run] = field(default_factory=list)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def rss(self) -> float:
        return max(r.rss_mb for r in self.runs)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def measure(argv: list[str], stdin: Path | None = None) -> Run:
    """Run ``argv`` to the end; its own CPU seconds, wall seconds and peak RSS."""
    with (
        open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin,
        open(os.devnull, "wb") as fout,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=fin, stdout=fout, env=_env(), cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


def measure_ready(tmp: Path) -> Run:
    """Start ``roomwatch serve``; wall seconds until /healthz answers 200."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    state = tempfile.mkdtemp(prefix="ready-", dir=tmp)
    cfg = Path(state) / "bench.toml"
    cfg.write_text(
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
        f'[store]\npath = "{Path(state) / "rw.sqlite3"}"\n'
        "[recorder]\nenabled = false\n",
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "roomwatch", "serve", "--config", str(cfg)]
    argv += ["--log-level", "WARNING"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = start + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode} while starting")
            if time.perf_counter() > deadline:
                raise TimeoutError("serve did not answer /healthz in 60 s")
            try:
                url = f"http://127.0.0.1:{port}/healthz"
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.01)
        wall = time.perf_counter() - start
        status = Path(f"/proc/{proc.pid}/status").read_text()
        hwm = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM:"))
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return Run(cpu, wall, hwm / 1024)


def run_all(args: argparse.Namespace, inp: Input, tmp: Path) -> dict[str, Row]:
    py = [sys.executable]
    me = [*py, str(Path(__file__).resolve())]
    naive_n = min(args.naive_n, inp.n_texts)
    naive_texts = tmp / f"{inp.name}.naive.texts.txt"
    with inp.texts.open(encoding="utf-8") as fh:
        naive_texts.write_text("".join(line for _, line in zip(range(naive_n), fh, strict=False)))
    rw = [*py, "-m", "roomwatch"]
    replay = [*rw, "replay", "--speed", "0", str(inp.recording)]
    replay += ["--out", os.devnull, "--alerts", os.devnull]
    plan: list[tuple[str, int, list[str], Path | None]] = [
        ("jieba.lcut", inp.n_texts, [*me, "--worker", "jieba", str(inp.texts)], None),
        ("classify", inp.n_texts, [*rw, "classify"], inp.texts),
        ("replay --speed 0", inp.n_records, replay, None),
        ("naive", naive_n, [*me, "--worker", "naive", str(naive_texts), str(naive_n)], None),
        ("classify (naive's texts)", naive_n, [*rw, "classify"], naive_texts),
    ]
    rows = {name: Row(name, n) for name, n, _argv, _stdin in plan}
    rows["ready"] = Row("ready (serve → /healthz)", 0)
    for k in range(args.runs):
        # Interleave the rows so a change in machine load hits each of them alike.
        for name, _n, argv, stdin in plan:
            rows[name].runs.append(measure(argv, stdin))
            print(f"  run {k + 1}/{args.runs} {name}: {rows[name].runs[-1]}", file=sys.stderr)
        rows["ready"].runs.append(measure_ready(tmp))
    return rows


def table(inp: Input, rows: dict[str, Row]) -> tuple[str, dict[str, Any]]:
    jieba, cls, rep = rows["jieba.lcut"], rows["classify"], rows["replay --speed 0"]
    naive, cls_n = rows["naive"], rows["classify (naive's texts)"]
    ratios = {
        "classify_vs_jieba": jieba.cpu / cls.cpu,
        "replay_vs_jieba": jieba.cpu / rep.cpu,
        "classify_vs_naive": naive.cpu / cls_n.cpu,
    }
    peak = max(r.rss for name, r in rows.items())
    ready = rows["ready"].wall
    lines = [
        f"input: {inp.name}: {inp.n_texts:,} texts, {inp.n_records:,} replay records; "
        f"median of {len(jieba.runs)} run(s); CPU = user + system of the whole process",
        "",
        "| work | items | CPU s | wall s | items / CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows.values():
        if r.name.startswith("ready"):
            continue
        rate = r.n / r.cpu if r.cpu else float("nan")
        lines.append(
            f"| {r.name} | {r.n:,} | {r.cpu:.2f} | {r.wall:.2f} | {rate:,.0f} | {r.rss:.0f} |"
        )
    rd = rows["ready"]
    lines.append(f"| {rd.name} | | {rd.cpu:.2f} | {rd.wall:.2f} | | {rd.rss:.0f} |")
    hit_rate = memo_hit_rate(inp.recording)
    lines += [
        "",
        f"repeated texts: the analyser's memo (20,000 entries) answers {hit_rate:.1%} "
        "of the replay's records (simulated LRU over the recording)",
    ]
    lines += [
        "",
        "| ratio | value | target |",
        "|---|---:|---:|",
        f"| classify vs jieba.lcut (jieba CPU / classify CPU) | "
        f"{ratios['classify_vs_jieba']:.2f}× | ≥ {TARGETS['classify_vs_jieba']}× |",
        f"| replay --speed 0 vs jieba.lcut | {ratios['replay_vs_jieba']:.2f}× | "
        f"≥ {TARGETS['replay_vs_jieba']}× |",
        f"| classify vs naive (same {naive.n:,} texts) | {ratios['classify_vs_naive']:.1f}× | "
        f"≥ {TARGETS['classify_vs_naive']:.0f}× |",
        f"| peak RSS of any row | {peak:.0f} MB | ≤ {TARGETS['peak_rss_mb']:.0f} MB |",
        f"| ready (serve start → /healthz ok) | {ready:.2f} s | ≤ {TARGETS['ready_s']} s |",
    ]
    report = {
        "input": inp.name,
        "texts": inp.n_texts,
        "records": inp.n_records,
        "rows": {
            k: {
                "items": r.n,
                "cpu_s": r.cpu,
                "wall_s": r.wall,
                "peak_rss_mb": r.rss,
                "runs": [vars(x) for x in r.runs],
            }
            for k, r in rows.items()
        },
        "ratios": ratios,
        "memo_hit_rate": hit_rate,
        "peak_rss_mb": peak,
        "ready_s": ready,
        "targets": TARGETS,
    }
    return "\n".join(lines), report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", choices=["realtraffic", "generated", "mini"], default="realtraffic")
    p.add_argument("--data", default=str(DEFAULT_DATA), help="the realtraffic folder")
    p.add_argument("--n", type=int, default=100_000, help="first N rows/records (0 = all)")
    p.add_argument("--naive-n", type=int, default=20_000, help="texts for the naive row")
    p.add_argument("--layout", choices=["dense", "rooms"], default="dense")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument(
        "--no-compile",
        dest="compile",
        action="store_false",
        help="don't byte-compile src/ first (each row then compiles what it imports)",
    )
    p.add_argument("--tmp", default=str(Path(tempfile.gettempdir()) / "roomwatch-bench"))
    p.add_argument("--json", help="also write the figures here")
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "jieba":
            worker_jieba(Path(rest[0]))
        else:
            worker_naive(Path(rest[0]), int(rest[1]))
        return 0
    tmp = Path(args.tmp)
    inp = prepare(args, tmp)
    if args.compile:
        compile_sources()
    rows = run_all(args, inp, tmp)
    text, report = table(inp, rows)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

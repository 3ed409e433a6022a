"""Benchmark ``roomwatch report`` against ``roomwatch replay`` on a long recording.

Run from the repository root (takes several minutes on a 2-core machine)::

    python bench/report_bench.py                  # 1,000,000 comments
    python bench/report_bench.py --records 200000 # a quicker look
    python bench/report_bench.py --keep /tmp/big.jsonl.gz   # keep / reuse the recording

It writes a recording of ``--records`` comments by re-stamping
``samples/demo.jsonl.gz`` over and over (new ids, ``ts`` moved on by the
recording's length each round, so the rooms look like one very long show),
then runs, each as its own process::

    python -m roomwatch replay REC --speed 0
    python -m roomwatch report REC --speed 0 --out report.html

(``python -m roomwatch.report`` when the ``report`` subcommand is not wired
into ``roomwatch.cli`` yet) and prints the wall time and the peak resident set
size of each, sampled from ``/proc/PID/status`` every 0.2 s and taken from
``wait4``'s ``ru_maxrss`` at exit.

Targets: ``report`` takes less than twice as long as ``replay``, and both stay
under 300 MB RSS throughout.

``--builder`` measures the report's own share instead: the demo recording is
analysed once, then its verdicts, re-stamped the same way, are fed to a
:class:`~roomwatch.report.ReportBuilder` ``--records`` times in all, with
``tracemalloc`` reporting the builder's memory after each round (it must level
off); ``--no-trace`` times it without tracemalloc (which slows it down a lot).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "demo.jsonl.gz"
RSS_LIMIT_MB = 300.0


def make_recording(path: Path, records: int) -> None:
    """``records`` comments: the demo recording re-stamped round after round."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        base = [json.loads(line) for line in fh if line.strip()]
    t0 = min(r["ts"] for r in base)
    span = max(r["ts"] for r in base) - t0 + 1.0
    written = 0
    rnd = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        while written < records:
            shift = rnd * span
            lines = []
            for r in base:
                if written >= records:
                    break
                written += 1
                r2 = dict(r)
                r2["id"] = f"b-{written}"
                r2["ts"] = round(r["ts"] + shift, 3)
                lines.append(json.dumps(r2, ensure_ascii=False, separators=(",", ":")))
            out.write("\n".join(lines) + "\n")
            rnd += 1


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run ``cmd``; its wall time and peak RSS (MB), polled and from wait4."""
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_polled = 0
    samples = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak_polled, samples
        while not done.is_set():
            peak_polled = max(peak_polled, _status_kb(proc.pid, "VmRSS"))
            samples += 1
            done.wait(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    # Drain the pipes so the child never blocks on a full pipe.
    out_chunks: list[str] = []
    err_chunks: list[str] = []

    def drain(stream: object, sink: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line)

    readers = [
        threading.Thread(target=drain, args=(proc.stdout, out_chunks), daemon=True),
        threading.Thread(target=drain, args=(proc.stderr, err_chunks), daemon=True),
    ]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    done.set()
    poller.join()
    for t in readers:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write("".join(err_chunks)[-4000:])
        raise SystemExit(f"{' '.join(cmd)} failed with status {proc.returncode}")
    return {
        "seconds": elapsed,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "peak_polled_mb": peak_polled / 1024,
        "samples": samples,
        "stdout": "".join(out_chunks).strip().splitlines()[:1],  # type: ignore[dict-item]
    }


def report_command(env: dict[str, str]) -> list[str]:
    probe = subprocess.run(
        [sys.executable, "-m", "roomwatch", "report", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "roomwatch", "report"]
    return [sys.executable, "-m", "roomwatch.report"]


def builder_only(records: int, *, trace: bool = True) -> int:
    """Feed ``records`` re-stamped verdicts to a ReportBuilder; print its memory."""
    import dataclasses
    import tracemalloc

    sys.path.insert(0, str(ROOT / "src"))
    from roomwatch.assets import asset_dir
    from roomwatch.core.analyze import Analyzer
    from roomwatch.core.record import Comment
    from roomwatch.report import ReportBuilder, render

    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        comments = [
            Comment.from_dict(json.loads(line), received_at=0.0) for line in fh if line.strip()
        ]
    analyzer = Analyzer.load(asset_dir("models"), asset_dir("lexicons"))
    verdicts = analyzer.analyze(comments)
    t0 = min(c.ts for c in comments)
    span = max(c.ts for c in comments) - t0 + 1.0
    if trace:
        tracemalloc.start()
    builder = ReportBuilder()
    fed = 0
    busy = 0.0
    rnd = 0
    while fed < records:
        batch = []
        for v in verdicts:
            if fed >= records:
                break
            fed += 1
            c = v.comment
            batch.append(
                dataclasses.replace(
                    v, comment=dataclasses.replace(c, ts=c.ts + rnd * span, id=f"b-{fed}")
                )
            )
        t = time.perf_counter()
        for i in range(0, len(batch), 512):
            builder(batch[i : i + 512])
        busy += time.perf_counter() - t
        batch.clear()  # only the builder's own memory is measured below
        rnd += 1
        if rnd % 10 == 0 or fed >= records:
            current, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
            memory = (
                f"builder memory {current / 1e6:6.1f} MB (peak {peak / 1e6:6.1f} MB), "
                if trace
                else ""
            )
            print(
                f"{fed:>9,} verdicts: {memory}{busy / fed * 1e6:.1f} µs per verdict"
                + (" (slowed down by tracemalloc)" if trace else ""),
                flush=True,
            )
    t = time.perf_counter()
    report = builder.report()
    html = render(report, {})
    print(
        f"report() + render(): {time.perf_counter() - t:.2f} s, {len(html) / 1e3:.0f} kB HTML, "
        f"{len(report.buckets)} buckets of {report.bucket_s:.0f} s",
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write (or reuse) the recording here")
    parser.add_argument(
        "--builder", action="store_true", help="measure the ReportBuilder alone (tracemalloc)"
    )
    parser.add_argument(
        "--no-trace", action="store_true", help="with --builder: time it without tracemalloc"
    )
    args = parser.parse_args()
    if args.builder:
        return builder_only(args.records, trace=not args.no_trace)

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory(prefix="rw-report-bench-") as tmp:
        rec = args.keep or Path(tmp) / "big.jsonl.gz"
        if not rec.exists():
            t = time.monotonic()
            make_recording(rec, args.records)
            print(
                f"wrote {args.records:,} records to {rec} "
                f"({rec.stat().st_size / 1e6:.0f} MB gzip) in {time.monotonic() - t:.0f} s",
                flush=True,
            )
        replay = measure(
            [sys.executable, "-m", "roomwatch", "replay", str(rec), "--speed", "0"], env
        )
        print(
            f"replay: {replay['seconds']:.1f} s, peak RSS {replay['peak_rss_mb']:.0f} MB "
            f"(polled max {replay['peak_polled_mb']:.0f} MB) — {replay['stdout']}",
            flush=True,
        )
        out = Path(tmp) / "report.html"
        report = measure([*report_command(env), str(rec), "--speed", "0", "--out", str(out)], env)
        print(
            f"report: {report['seconds']:.1f} s, peak RSS {report['peak_rss_mb']:.0f} MB "
            f"(polled max {report['peak_polled_mb']:.0f} MB), {out.stat().st_size / 1e3:.0f} kB "
            f"HTML — {report['stdout']}",
            flush=True,
        )
    ratio = report["seconds"] / replay["seconds"]
    rss_ok = max(replay["peak_rss_mb"], report["peak_rss_mb"]) < RSS_LIMIT_MB
    print(f"report / replay time: {ratio:.2f}× (target < 2×): {'ok' if ratio < 2 else 'MISSED'}")
    print(
        f"peak RSS under {RSS_LIMIT_MB:.0f} MB for both: {'ok' if rss_ok else 'MISSED'} "
        f"(replay {replay['peak_rss_mb']:.0f} MB, report {report['peak_rss_mb']:.0f} MB)"
    )
    return 0 if ratio < 2 and rss_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

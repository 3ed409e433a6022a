"""Alert detectors across many generated recordings (dev-time tuning check).

Generates one scenario per seed with ``tools/gen_scenario.py`` (into a
temporary directory, removed afterwards unless ``--keep DIR`` is given),
analyses each recording once (real classifier, or ``--truth-labels``), then
replays it through :class:`roomwatch.core.alerts.AlertManager` exactly as
``bench/alerts_bench.py`` does and reports, across all seeds:

* per incident kind: detected count, count within 15 s of onset, delay
  median / 90th percentile / worst, and the seeds that missed 15 s;
* alerts opened outside incidents, by stretch (calm, flash_sale, other);
* alerts opened per incident (target: exactly one, then updated).

Tune on one seed set and check on another that you never tuned on::

    PYTHONPATH=src python bench/alerts_seeds.py                  # seeds 1..25
    PYTHONPATH=src python bench/alerts_seeds.py --seeds 101-125  # fresh check
    PYTHONPATH=src python bench/alerts_seeds.py --set negative_min_count=10 -v
    PYTHONPATH=src python bench/alerts_seeds.py --keep bench/out/seeds  # reuse analysis

``--set NAME=VALUE`` overrides an :class:`AlertConfig` field for trying a
threshold; ``-v`` prints every seed's rows and false alerts. Exit status is 0
when every incident is detected within 15 s with exactly one alert and no
alert opens outside incidents.
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alerts_bench import DELAY_TARGET, ROOT, detect, load, make_analyser, score

from roomwatch.config import build_dataclass
from roomwatch.core.alerts import AlertConfig


def parse_seeds(spec: str) -> list[int]:
    seeds: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds.extend(range(int(lo), int(hi) + 1))
        elif part.strip():
            seeds.append(int(part))
    return seeds


def parse_overrides(items: list[str]) -> AlertConfig:
    raw: dict[str, Any] = {}
    for item in items:
        name, _, value = item.partition("=")
        raw[name.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
    return build_dataclass(AlertConfig, raw, "alerts")


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_scenario", ROOT / "tools/gen_scenario.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_scenario"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def prepare(seed: int, where: Path, how: str, analyser_for: Any, gen: Any) -> Any:
    """(comments, analysed, truth) for ``seed``, generated and analysed once per ``how``."""
    stem = where / f"scenario-seed{seed}"
    cache = where / f"scenario-seed{seed}.{''.join(c for c in how if c.isalnum())[:40]}.pickle"
    if not stem.with_name(stem.name + ".jsonl.gz").exists():
        records, truth = gen.generate(seed)
        gen.write(records, truth, stem)
    comments, truth = load(stem)
    if cache.exists():  # the analysis (labels, sentiment, text, tokens) only
        with cache.open("rb") as fh:
            return comments, pickle.load(fh), truth
    analyse = analyser_for(truth)
    analysed = []
    for i in range(0, len(comments), 256):
        analysed.extend(analyse(comments[i : i + 256]))
    with cache.open("wb") as fh:
        pickle.dump(analysed, fh)
    return comments, analysed, truth


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1-25", help="e.g. 1-25 or 101-125 or 3,7,9")
    parser.add_argument("--truth-labels", action="store_true", help="use the sidecar labels")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--keep", type=Path, help="generate/cache here instead of a temp dir")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every seed's rows")
    args = parser.parse_args(argv)
    seeds = parse_seeds(args.seeds)
    config = parse_overrides(args.set)
    how, analyser_for = make_analyser(args.truth_labels)
    print(f"labels/sentiment from: {how}; seeds {args.seeds} ({len(seeds)} recordings)")
    if args.set:
        print(f"config overrides: {', '.join(args.set)}")
    gen = _generator()
    where = args.keep or Path(tempfile.mkdtemp(prefix="alerts-seeds-"))
    where.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    false: list[tuple[int, Any]] = []
    detect_s = 0.0
    records = 0
    try:
        for seed in seeds:
            comments, analysed, truth = prepare(seed, where, how, analyser_for, gen)
            t0 = time.perf_counter()
            events = detect(comments, analysed, truth["end"], config)
            detect_s += time.perf_counter() - t0
            records += len(comments)
            scored = score(truth, events)
            for row in scored["rows"]:
                by_kind.setdefault(row["kind"], []).append((seed, row))
            false.extend((seed, f) for f in scored["false"])
            if args.verbose:
                cells = "  ".join(
                    f"{r['kind']}@{r['onset_s']}s "
                    f"{'MISS' if r['delay_s'] is None else format(r['delay_s'], '.1f')}"
                    f"{'' if r['alerts'] == 1 else ' x' + str(r['alerts'])}"
                    for r in scored["rows"]
                )
                print(f"  seed {seed:>4}: {cells}")
                for ts, w, det, summary in scored["false"]:
                    print(f"             FALSE +{ts}s [{w}] {det}: {summary}")
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)
    print(
        f"\n{'incident':<16}{'found':>7}{'<=15s':>7}{'median':>8}{'p90':>7}{'worst':>7}"
        f"{'1 alert':>9}  seeds over {DELAY_TARGET:.0f}s (delay)"
    )
    ok = not false
    for kind, rows in sorted(by_kind.items()):
        delays = [r["delay_s"] for _, r in rows if r["delay_s"] is not None]
        within = sum(1 for d in delays if d <= DELAY_TARGET)
        one = sum(1 for _, r in rows if r["alerts"] == 1)
        late = [
            f"{s}({'miss' if r['delay_s'] is None else format(r['delay_s'], '.0f')})"
            for s, r in rows
            if r["delay_s"] is None or r["delay_s"] > DELAY_TARGET
        ]
        ok &= within == len(rows) and one == len(rows)
        print(
            f"{kind:<16}{len(delays):>4}/{len(rows):<2}{within:>4}/{len(rows):<2}"
            f"{_pct(delays, 0.5):>7.1f}s{_pct(delays, 0.9):>6.1f}s{max(delays, default=0):>6.1f}s"
            f"{one:>6}/{len(rows):<2}  {' '.join(late) or '-'}"
        )
        extra = [(s, r["alerts"], r["detectors"]) for s, r in rows if r["alerts"] != 1]
        if extra:
            print(f"{'':<16}alerts != 1: {extra}")
    where_false: dict[str, int] = {}
    for _, (_, w, det, _) in false:
        where_false[f"{w}/{det}"] = where_false.get(f"{w}/{det}", 0) + 1
    print(
        f"alerts outside incidents: {len(false)} {where_false or ''}"
        f"{' in seeds ' + ','.join(sorted({str(s) for s, _ in false})) if false else ''}"
    )
    print(
        f"detectors: {records:,} records in {detect_s:.2f}s "
        f"({records / max(detect_s, 1e-9):,.0f} comments/s incl. ticks)"
    )
    print(f"targets {'MET' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

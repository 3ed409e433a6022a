"""Alert detectors against labelled scenario recordings.

Replays each recording through :class:`roomwatch.core.alerts.AlertManager`
(``observe`` per comment, ``tick`` every second of record time) and reports,
per scenario:

* detection delay from each incident's onset to its first ``open`` event
  (target: at most 15 s);
* alerts opened during calm and busy-but-calm (flash sale) stretches
  (target: zero);
* alerts opened per incident (target: exactly one, then updated);
* throughput of the detectors alone (comments/s).

Labels and sentiment come from the real classifier when
``roomwatch.core.analyze.Analyzer.load(models, lexicons)`` works, otherwise
from the truth sidecar (text and tokens then still come from the real
Normalizer/Segmenter when importable, else from a private jieba Tokenizer).
The script prints which it used. Run::

    PYTHONPATH=src python bench/alerts_bench.py                   # both samples
    PYTHONPATH=src python bench/alerts_bench.py samples/scenario-unseen
    PYTHONPATH=src python bench/alerts_bench.py --truth-labels   # force sidecar labels
    PYTHONPATH=src python bench/alerts_bench.py --stress 50,20,60 # + synthetic throughput
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from roomwatch.core.alerts import AlertConfig, AlertEvent, AlertManager, Observation
from roomwatch.core.record import Comment, parse_json

ROOT = Path(__file__).resolve().parent.parent
DELAY_TARGET = 15.0
#: An open counts towards an incident when it falls in [onset, end + GRACE].
GRACE = 45.0

Analyse = Callable[[Sequence[Comment]], list[tuple[str, float, str, tuple[str, ...]]]]


def load(stem: Path) -> tuple[list[Comment], dict[str, Any]]:
    rec = stem.with_name(stem.name + ".jsonl.gz")
    truth = json.loads(stem.with_name(stem.name + ".truth.json").read_text(encoding="utf-8"))
    with gzip.open(rec, "rb") as fh:
        comments = [parse_json(line, received_at=0.0) for line in fh if line.strip()]
    return comments, truth


def make_analyser(
    force_truth: bool, models: Path | None = None
) -> tuple[str, Callable[[dict[str, Any]], Analyse]]:
    if not force_truth:
        try:
            from roomwatch.core.analyze import Analyzer

            analyzer = Analyzer.load(models or ROOT / "models", ROOT / "lexicons")
        except Exception as exc:
            print(f"classifier unavailable ({type(exc).__name__}: {exc}); using truth labels")
        else:

            def real(_truth: dict[str, Any]) -> Analyse:
                def run(batch: Sequence[Comment]) -> list[tuple[str, float, str, tuple[str, ...]]]:
                    return [
                        (v.label, v.sentiment, v.normalized.text, v.tokens)
                        for v in analyzer.analyze(batch)
                    ]

                return run

            return f"real classifier {analyzer.version}", real

    cut: Callable[[list[str]], list[tuple[str, ...]]]
    norm: Callable[[str], str]
    try:
        from roomwatch.core.normalize import Normalizer
        from roomwatch.core.segment import Segmenter

        normalizer = Normalizer.from_dir(ROOT / "lexicons")
        segmenter = Segmenter.from_dir(ROOT / "lexicons")
        norm = lambda text: normalizer(text).text  # noqa: E731
        cut = segmenter.cut_batch
        how = "truth-sidecar labels; roomwatch Normalizer/Segmenter tokens"
    except Exception:
        import jieba

        tok = jieba.Tokenizer()
        norm = lambda text: unicodedata.normalize("NFKC", text).lower()  # noqa: E731
        cut = lambda texts: [tuple(tok.lcut(t)) for t in texts]  # noqa: E731
        how = "truth-sidecar labels; private jieba tokens"

    def fallback(truth: dict[str, Any]) -> Analyse:
        labels = truth["labels"]

        def run(batch: Sequence[Comment]) -> list[tuple[str, float, str, tuple[str, ...]]]:
            texts = [norm(c.text) for c in batch]
            toks = cut(texts)
            out = []
            for c, text, tk in zip(batch, texts, toks, strict=True):
                label, sentiment = labels[c.id or ""]
                out.append((label, float(sentiment), text, tk))
            return out

        return run

    return how, fallback


def run_scenario(
    stem: Path, analyser_for: Callable[[dict[str, Any]], Analyse], config: AlertConfig
) -> dict[str, Any]:
    comments, truth = load(stem)
    analyse = analyser_for(truth)
    t0 = time.perf_counter()
    analysed = []
    for i in range(0, len(comments), 256):
        analysed.extend(analyse(comments[i : i + 256]))
    t_analyse = time.perf_counter() - t0

    t0 = time.perf_counter()
    events = detect(comments, analysed, truth["end"], config)
    t_detect = time.perf_counter() - t0
    return {
        "truth": truth,
        "events": events,
        "records": len(comments),
        "analyse_s": t_analyse,
        "detect_s": t_detect,
    }


def detect(
    comments: Sequence[Comment],
    analysed: Sequence[tuple[str, float, str, tuple[str, ...]]],
    end: float,
    config: AlertConfig,
) -> list[AlertEvent]:
    """Feed one analysed recording to a fresh manager, ticking every second of record time."""
    manager = AlertManager(config)
    events: list[AlertEvent] = []
    next_tick = math.floor(comments[0].ts) + 1.0
    for c, (label, sentiment, text, tokens) in zip(comments, analysed, strict=True):
        while next_tick <= c.ts:
            events.extend(manager.tick(next_tick))
            next_tick += 1.0
        events.extend(manager.observe(Observation(c, label, sentiment, text, tokens)))
    # Stop at the recording's end: ticking on would (rightly) report an outage.
    while next_tick <= end:
        events.extend(manager.tick(next_tick))
        next_tick += 1.0
    return events


def score(truth: dict[str, Any], events: Sequence[AlertEvent]) -> dict[str, Any]:
    """Per-incident rows and the alerts opened outside incidents (no printing)."""
    start = truth["start"]
    opens = [e for e in events if e.kind == "open"]
    incidents = [e for e in truth["events"] if e["expect"] is not None]
    quiet = [e for e in truth["events"] if e["expect"] is None]
    claimed: set[str] = set()
    rows = []
    for inc in incidents:
        lo, hi = inc["onset"], inc["end"] + GRACE
        mine = [e for e in opens if lo <= e.ts <= hi]
        claimed.update(e.alert.id for e in mine)
        expected = [e for e in mine if e.alert.detector == inc["expect"]]
        delay = (expected[0].ts - inc["onset"]) if expected else None
        ids = {e.alert.id for e in mine}
        updates = sum(1 for e in events if e.kind == "update" and e.alert.id in ids)
        resolves = sum(1 for e in events if e.kind == "resolve" and e.alert.id in ids)
        rows.append(
            {
                "kind": inc["kind"],
                "onset_s": round(inc["onset"] - start),
                "expect": inc["expect"],
                "delay_s": None if delay is None else round(delay, 1),
                "alerts": len(mine),
                "detectors": sorted({e.alert.detector for e in mine}),
                "updates": updates,
                "resolves": resolves,
                "severity": max(
                    (ev.alert.severity for ev in events if ev.alert.id in ids),
                    key=("info", "warning", "critical").index,
                    default=None,
                ),
            }
        )
    false_opens = []
    for e in opens:
        if e.alert.id in claimed:
            continue
        where = next((q["kind"] for q in quiet if q["onset"] <= e.ts <= q["end"]), "other")
        false_opens.append((round(e.ts - start), where, e.alert.detector, e.alert.summary))
    return {"rows": rows, "false": false_opens}


def report(name: str, result: dict[str, Any]) -> dict[str, Any]:
    truth = result["truth"]
    start = truth["start"]
    scored = score(truth, result["events"])
    rows, false_opens = scored["rows"], scored["false"]
    print(
        f"\n== {name}: {result['records']} records, seed {truth['seed']}, "
        f"{(truth['end'] - start) / 60:.1f} min of record time"
    )
    print(
        f"   analyse {result['analyse_s']:.2f}s; detectors {result['detect_s']:.3f}s "
        f"({result['records'] / result['detect_s']:,.0f} comments/s incl. ticks)"
    )
    print(
        f"   {'incident':<16}{'onset':>6}  {'expect':<16}{'delay':>7}"
        "  alerts  upd  res  sev      detectors"
    )
    for r in rows:
        d = "MISSED" if r["delay_s"] is None else f"{r['delay_s']:.1f}s"
        print(
            f"   {r['kind']:<16}{r['onset_s']:>5}s  {r['expect']:<16}{d:>7}  {r['alerts']:>6}"
            f"  {r['updates']:>3}  {r['resolves']:>3}  {r['severity'] or '-':<8} "
            f"{','.join(r['detectors'])}"
        )
    print(f"   alerts outside incidents: {len(false_opens)}")
    for ts, where, det, summary in false_opens:
        print(f"     +{ts}s [{where}] {det}: {summary}")
    delays = [r["delay_s"] for r in rows if r["delay_s"] is not None]
    ok = (
        len(delays) == len(rows)
        and max(delays, default=0) <= DELAY_TARGET
        and not false_opens
        and all(r["alerts"] == 1 for r in rows)
    )
    fast = sum(1 for r in rows if r["delay_s"] is not None and r["delay_s"] <= DELAY_TARGET)
    one = sum(1 for r in rows if r["alerts"] == 1)
    print(
        f"   targets: detected within {DELAY_TARGET:.0f}s {fast}/{len(rows)}; "
        f"alerts outside incidents {len(false_opens)} (target 0); "
        f"exactly one alert {one}/{len(rows)} -> {'MET' if ok else 'NOT MET'}"
    )
    return {"rows": rows, "false": false_opens, "ok": ok}


def stress(rooms: int, rate: float, seconds: int, seed: int = 1) -> None:
    """Detector throughput on synthetic traffic: ``rooms`` rooms at ``rate`` comments/s."""
    import random

    from roomwatch.core.record import User

    rng = random.Random(seed)
    texts = [
        ("chatter", 0.6, ("苹果", "好甜")),
        ("question", 0.0, ("多少钱", "一箱")),
        ("chatter", -0.4, ("有点", "贵")),
        ("grievance", -0.7, ("快递", "太慢")),
        ("grievance", -0.8, ("发霉", "苹果")),
        ("abuse", -0.8, ("骗子", "主播")),
        ("spam", 0.0, ("加微", "领券")),
    ]
    weights = [50, 30, 8, 5, 3, 2, 2]
    observations = []
    t0 = 1_764_115_200.0
    for sec in range(seconds):
        for r in range(rooms):
            for _ in range(max(0, round(rng.gauss(rate, rate**0.5)))):
                label, sentiment, tokens = rng.choices(texts, weights)[0]
                # Varied wording, so steady background abuse is not a "raid".
                text = "".join(tokens) + "".join(rng.choices("的了吗呢啊吧是我你他好", k=6))
                comment = Comment(
                    room=f"room-{r}",
                    text=text,
                    ts=t0 + sec + rng.random(),
                    user=User(id=f"u{rng.randint(1, 5000)}"),
                )
                observations.append(Observation(comment, label, sentiment, text, tokens))
    observations.sort(key=lambda o: o.comment.ts)
    manager = AlertManager()
    events: list[AlertEvent] = []
    started = time.perf_counter()
    next_tick = t0 + 1.0
    for o in observations:
        while next_tick <= o.comment.ts:
            events.extend(manager.tick(next_tick))
            next_tick += 1.0
        events.extend(manager.observe(o))
    elapsed = time.perf_counter() - started
    opened: dict[str, int] = {}
    for e in events:
        if e.kind == "open":
            opened[e.alert.detector] = opened.get(e.alert.detector, 0) + 1
    print(
        f"\n== stress: {rooms} rooms x {rate:g} comments/s x {seconds} s = "
        f"{len(observations):,} comments (+{seconds} ticks): {elapsed:.2f} s, "
        f"{len(observations) / elapsed:,.0f} comments/s, "
        f"{elapsed / len(observations) * 1e6:.1f} us/comment; alerts opened on this "
        f"stationary traffic: {opened or 0}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "stems",
        nargs="*",
        type=Path,
        default=[ROOT / "samples/scenario-alerts", ROOT / "samples/scenario-unseen"],
    )
    parser.add_argument(
        "--truth-labels",
        action="store_true",
        help="use the truth sidecar's labels even if the classifier loads",
    )
    parser.add_argument("--events", action="store_true", help="print every alert event")
    parser.add_argument(
        "--stress",
        metavar="ROOMS,RATE,SECONDS",
        help="also time the detectors on synthetic traffic, e.g. 50,20,60",
    )
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="an [alerts] setting for this run, e.g. window_min_comments=0 (repeatable)",
    )
    parser.add_argument("--model", type=Path, default=None, help="models folder (default: shipped)")
    args = parser.parse_args(argv)
    how, analyser_for = make_analyser(args.truth_labels, args.model)
    print(f"labels/sentiment from: {how}")
    overrides: dict[str, Any] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key.strip()] = json.loads(value)
    config = AlertConfig(**overrides)
    if overrides:
        print(f"[alerts] {overrides}")
    all_ok = True
    reports = []
    for stem in args.stems:
        result = run_scenario(stem, analyser_for, config)
        if args.events:
            start = result["truth"]["start"]
            for e in result["events"]:
                a = e.alert
                print(
                    f"  +{e.ts - start:7.1f} {e.kind:<7} {a.detector:<16} {a.severity:<8} "
                    f"{a.id} {a.summary}"
                )
        rep = report(stem.name, result)
        reports.append(rep)
        all_ok &= rep["ok"]
    if len(reports) > 1:
        summarise(reports)
    if args.stress:
        rooms, rate, seconds = args.stress.split(",")
        stress(int(rooms), float(rate), int(seconds))
    return 0 if all_ok else 1


def summarise(reports: list[dict[str, Any]]) -> None:
    print(f"\n== summary over {len(reports)} recordings")
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for rep in reports:
        for row in rep["rows"]:
            by_kind.setdefault(row["kind"], []).append(row)
    for kind, rows in sorted(by_kind.items()):
        delays = sorted(r["delay_s"] for r in rows if r["delay_s"] is not None)
        within = sum(1 for d in delays if d <= DELAY_TARGET)
        one = sum(1 for r in rows if r["alerts"] == 1)
        med = delays[len(delays) // 2] if delays else float("nan")
        print(
            f"   {kind:<16} detected {len(delays)}/{len(rows)}, <= {DELAY_TARGET:.0f}s: "
            f"{within}/{len(rows)}, delay median {med:.1f}s max {max(delays, default=0):.1f}s, "
            f"exactly one alert: {one}/{len(rows)}"
        )
    false = [f for rep in reports for f in rep["false"]]
    where: dict[str, int] = {}
    for _, w, _, _ in false:
        where[w] = where.get(w, 0) + 1
    print(f"   alerts outside incidents: {len(false)} {where if where else ''}")


if __name__ == "__main__":
    sys.exit(main())

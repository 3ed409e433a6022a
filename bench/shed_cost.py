"""What degrade mode's screen costs, against what a shed comment saves.

On the first ``--n`` distinct texts of the real barrage (``realtraffic``,
measurement only) or of ``samples/demo.jsonl.gz`` (``--input demo``), CPU
per text of: normalisation, the overload screen (``core/shed.py``), and
segmentation and the model, for all texts and then for the cue-less ones
(those degrade mode sheds) and the cued ones apart. Degrade mode pays off
only if what the shed texts save exceeds what screening every text costs.

    python bench/shed_cost.py
    python bench/shed_cost.py --input demo --n 5000
    python bench/shed_cost.py --levels --n 100000   # screen levels (degrade depths)

``--levels``: the first ``--n`` comments (repeats kept) by screen level
(``Screen.level``: 0 no cue, 1 weak n-gram, 2 strong n-gram, 3 lexicon
evidence), with the labels the full analysis gives those of each level: what
degrade mode at each depth would leave unanalysed (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overload_bench import ROOT, texts

from roomwatch.core.analyze import Analyzer
from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment
from roomwatch.core.shed import Screen

T = TypeVar("T")


def cpu(f: Callable[[], T]) -> tuple[float, T]:
    c = time.process_time()
    out = f()
    return time.process_time() - c, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--input", choices=["realtraffic", "demo"], default="realtraffic")
    p.add_argument("--n", type=int, default=20_000, help="distinct texts")
    p.add_argument("--cue-weight", type=float, default=0.2)
    p.add_argument("--levels", action="store_true", help="count comments by screen level")
    args = p.parse_args()
    analyzer = Analyzer.load(ROOT / "models", ROOT / "lexicons")
    if args.levels:
        levels(analyzer, args.input, args.n, args.cue_weight)
        return
    screen = Screen(analyzer.classifier, args.cue_weight)
    distinct = list(dict.fromkeys(t for _, t in texts(args.input, args.n * 5)))[: args.n]
    n = len(distinct)
    t_norm, norm = cpu(lambda: analyzer.normalizer.normalize_batch(distinct))
    t_screen, cued = cpu(lambda: [screen.cued(x.text, "room") for x in norm])
    rows = [("normalize", t_norm, n), ("screen (after normalize)", t_screen, n)]
    groups: list[tuple[str, list[Normalized]]] = [
        ("all", norm),
        ("cue-less (shed)", [x for x, c in zip(norm, cued, strict=True) if not c]),
        ("cued (full path)", [x for x, c in zip(norm, cued, strict=True) if c]),
    ]
    for name, group in groups:
        if not group:
            continue
        # A fresh segmenter each time, so no group finds another's tokens cached.
        seg = Analyzer.load(ROOT / "models", ROOT / "lexicons").segmenter
        t_seg, tokens = cpu(lambda g=group, s=seg: s.cut_batch([x.text for x in g]))  # type: ignore[misc]
        t_cls, _ = cpu(lambda g=group, tk=tokens: analyzer.classifier.predict_batch(g, tk))  # type: ignore[misc]
        mean = sum(len(x.text) for x in group) / len(group)
        rows.append((f"segment, {name} ({len(group)}, {mean:.1f} chars)", t_seg, len(group)))
        rows.append((f"classify, {name}", t_cls, len(group)))
    shed = sum(not c for c in cued)
    print(f"input={args.input}: {n} distinct texts, {shed} cue-less ({shed / n:.0%})")
    print("| step | µs per text |")
    print("|---|---:|")
    for name, seconds, count in rows:
        print(f"| {name} | {seconds / count * 1e6:.1f} |")


def levels(analyzer: Analyzer, source: str, n: int, weight: float) -> None:
    items = texts(source, n)
    comments = [Comment(room=r, text=t, ts=0.0, id=str(i)) for i, (r, t) in enumerate(items)]
    verdicts = analyzer.analyze(comments)
    norm = analyzer.normalizer.normalize_batch([t for _, t in items])
    got = Screen(analyzer.classifier, weight).levels([x.text for x in norm], ["room"] * len(norm))
    by_level: dict[int, Counter[str]] = {lv: Counter() for lv in range(4)}
    for v, lv in zip(verdicts, got, strict=True):
        by_level[lv][v.label] += 1
    print(f"input={source}: {len(items)} comments")
    print("| screen level | share | labelled other than chatter |")
    print("|---|---:|---|")
    for lv, labels in by_level.items():
        share = sum(labels.values()) / len(items)
        other = {k: c for k, c in sorted(labels.items()) if k != "chatter"}
        print(f"| {lv} | {share:.1%} | {other or 'none'} |")


if __name__ == "__main__":
    main()

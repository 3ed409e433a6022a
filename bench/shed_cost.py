"""What degrade mode's screen costs, against what a shed comment saves.

On the first ``--n`` distinct texts of the real barrage (``realtraffic``,
measurement only) or of ``samples/demo.jsonl.gz`` (``--input demo``), CPU
per text of: normalisation, the overload screen (``core/shed.py``), and
segmentation and the model, for all texts and then for the cue-less ones
(those degrade mode sheds) and the cued ones apart. Degrade mode pays off
only if what the shed texts save exceeds what screening every text costs.

    python bench/shed_cost.py
    python bench/shed_cost.py --input demo --n 5000
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overload_bench import ROOT, texts

from roomwatch.core.analyze import Analyzer
from roomwatch.core.normalize import Normalized
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
    args = p.parse_args()
    analyzer = Analyzer.load(ROOT / "models", ROOT / "lexicons")
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


if __name__ == "__main__":
    main()

"""How the classifier judges real barrage (issue 11's real-traffic figures).

Run from the repo root::

    .venv/bin/python bench/realtraffic_eval.py [--data DIR] [--model DIR] [--lexicons DIR]
        [--show-errors] [--split dev|tune|looked|final --i-know-this-is-final]
    .venv/bin/python bench/realtraffic_eval.py --shares [N]

The hand labels live in ``bench/realtraffic/labels.tsv`` (row number, stratum,
label; no text: the source is unlicensed). The text is read from the shared,
read-only ``bilibili_video_danmaku.tsv`` (``--data``, default
``../shared/data/realtraffic`` next to the repo or one of its parents); its
sha256 must match the one recorded in the labels file.

For each stratum (``random-dev``, ``enriched-dev``) and for the dev part
overall, it prints, with the issue's target in brackets:

* real chatter flagged as something else, share of true chatter [<= 5%]
* review-queue precision: of verdicts abuse or spam, the share truly abuse or
  spam [>= 0.70]
* question precision and recall [>= 0.70 each]
* grievance share of all comments, predicted vs true [<= 2%]
* abuse recall [>= 0.70]
* the confusion matrix (rows: true label, columns: predicted)

Only the random stratum says anything about label *shares*; the enriched
stratum was picked by a filter (see ``bench/realtraffic/sample.py``) so that
positives exist, and its precision figures are pessimistic for the same reason.

``--show-errors`` prints each false flag (and each missed positive) with its
``reasons`` to stdout. Never redirect it into a file in the repository.

``--split final`` evaluates the 400-row final part instead. Look at it once,
at the end, and say so; it refuses without ``--i-know-this-is-final``.
``--split final2`` is the second held-out part (``random-final2``,
``enriched-final2``, ``asks-final2``; 800 rows labelled in stop 14 before
any of its rule changes), under the same rule. ``--split final3``
(``random-final3``, ``asks-final3``; 600 rows drawn and labelled in stop 15
after its rule changes, without looking at a verdict) likewise, and
``--split final4`` (``random-final4``, ``asks-final4``, ``enriched-final4``;
800 rows drawn and labelled in stop 16 before any of its rules was evaluated
on them), ``--split final5`` (``random-final5``, ``asks-final5``,
``enriched-final5``; 800 rows drawn and labelled in stop 16 without looking at
a verdict, evaluated once at its end on what it shipped), ``--split
final6`` (``random-final6``, ``asks-final6``, ``enriched-final6``; 1,000 rows
drawn and labelled in stop 17 without looking at a verdict, for the next
change, not yet evaluated), ``--split final7`` (``random-final7``,
``asks-final7``, ``enriched-final7``; 1,000 rows drawn and labelled in stop 18
without looking at a verdict, for the lead's end-of-stop evaluation, not yet
evaluated), ``--split final8`` (``random-final8``, ``asks-final8``,
``enriched-final8``; 1,000 rows drawn and labelled in stop 19 without looking
at a verdict, a second unlooked part beside final7; looked at once in stop
20) and ``--split final9`` (``random-final9``, ``asks-final9``,
``enriched-final9``; 1,000 rows drawn and labelled in stop 20 without looking
at a verdict, looked at once at its end), ``--split final10``
(``random-final10``, ``asks-final10``, ``enriched-final10``; 1,000 rows drawn
and labelled in stop 20 without looking at a verdict, for the next change,
looked at once at the end of stop 21), and ``--split final11``
(``random-final11``, ``asks-final11``, ``enriched-final11``; 1,000 rows drawn
and labelled in stop 21 without looking at a verdict, for the change after it,
looked at once at the end of stop 22), ``--split final12``
(``random-final12``, ``asks-final12``, ``enriched-final12``; 1,000 rows drawn
and labelled in stop 22 without looking at a verdict, looked at once at the
end of stop 23), and ``--split final13`` (``random-final13``,
``asks-final13``, ``enriched-final13``; 1,000 rows drawn and labelled in stop
23 without looking at a verdict, looked at once at the end of stop 24), and
``--split final14`` (``random-final14``,
``asks-final14``, ``enriched-final14``; 1,000 rows drawn and labelled in stop
24 without looking at a verdict, not yet evaluated).

``--split tune`` pools dev with final, final2 and final3 (3,800 rows): each of
those held-out parts has had its one look, so from stop 16 on they are tuning
data for the few decision knobs (bars and gates, not cue words), and a new
held-out part takes their place. No flag needed. ``--split looked`` (stop 20)
pools every part that has had its look (tune and final4-final13, 13,400 rows
from stop 24 on; final8 and final9 joined it after their looks in stop 20,
final10, final11, final12 and final13 after theirs in stops 21 to 24),
shown by part and by kind of stratum (random, asks, enriched).

``--shares [N]`` classifies the whole file (or N random rows, fixed seed) and
prints the predicted label shares, no labels needed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from roomwatch.assets import asset_dir  # noqa: E402
from roomwatch.core.analyze import Analyzer  # noqa: E402
from roomwatch.core.classify import LABELS  # noqa: E402
from roomwatch.core.record import Comment  # noqa: E402
from roomwatch.core.verdict import Verdict  # noqa: E402

LABELS_FILE = ROOT / "bench" / "realtraffic" / "labels.tsv"
SOURCE = "bilibili_video_danmaku.tsv"
DEV = ("random-dev", "enriched-dev")
FINAL = ("random-final",)
# Second held-out part (stop 14): labelled before that stop's rule changes.
FINAL2 = ("random-final2", "enriched-final2", "asks-final2")
# Third held-out part (stop 15): labelled after that stop's rules, unseen by them.
FINAL3 = ("random-final3", "asks-final3")
# Stop 16: the held-out parts above have each been looked at; pooled with dev
# they are one larger tuning set for few-parameter decision knobs.
TUNE = DEV + FINAL + FINAL2 + FINAL3
# Fourth held-out part (stop 16): labelled before any of that stop's rules met it.
FINAL4 = ("random-final4", "asks-final4", "enriched-final4")
# Fifth held-out part (stop 16's retrained model): labelled without a verdict.
FINAL5 = ("random-final5", "asks-final5", "enriched-final5")
# Sixth held-out part (stop 17, for the next change): labelled without a verdict.
FINAL6 = ("random-final6", "asks-final6", "enriched-final6")
# Seventh held-out part (stop 18, for its end): labelled without a verdict.
FINAL7 = ("random-final7", "asks-final7", "enriched-final7")
# Eighth held-out part (stop 19, beside final7): labelled without a verdict.
FINAL8 = ("random-final8", "asks-final8", "enriched-final8")
# Ninth held-out part (stop 20, drawn after final8's look): labelled without a verdict.
FINAL9 = ("random-final9", "asks-final9", "enriched-final9")
# Tenth held-out part (stop 20, for the next change): labelled without a verdict.
FINAL10 = ("random-final10", "asks-final10", "enriched-final10")
# Eleventh held-out part (stop 21, for the change after it): labelled without a verdict.
FINAL11 = ("random-final11", "asks-final11", "enriched-final11")
# Twelfth held-out part (stop 22, after final11's look): labelled without a verdict.
FINAL12 = ("random-final12", "asks-final12", "enriched-final12")
# Thirteenth held-out part (stop 23, after final12's look): labelled without a verdict.
FINAL13 = ("random-final13", "asks-final13", "enriched-final13")
# Fourteenth held-out part (stop 24, before final13's look): labelled without a verdict.
FINAL14 = ("random-final14", "asks-final14", "enriched-final14")
# Every part that has had its one look: the tune pool and final4-final13 (stop 20
# measured its choices on final4-final7; final8 and final9 were looked at once
# in stop 20 and joined the pool in stop 21, final10 after its look in stop 21
# joined it in stop 22, final11 after its look in stop 22, final12 after its
# look in stop 23, and final13 after its look in stop 24:
# bench/realtraffic/README.md).
LOOKED = (
    TUNE + FINAL4 + FINAL5 + FINAL6 + FINAL7 + FINAL8 + FINAL9 + FINAL10 + FINAL11 + FINAL12
) + FINAL13
# Each held-out part by its --split name.
HELD_OUT = {
    "final": FINAL,
    "final2": FINAL2,
    "final3": FINAL3,
    "final4": FINAL4,
    "final5": FINAL5,
    "final6": FINAL6,
    "final7": FINAL7,
    "final8": FINAL8,
    "final9": FINAL9,
    "final10": FINAL10,
    "final11": FINAL11,
    "final12": FINAL12,
    "final13": FINAL13,
    "final14": FINAL14,
}
REVIEW = ("abuse", "spam")


def default_data() -> Path:
    for base in ROOT.parents:
        candidate = base / "shared" / "data" / "realtraffic"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "data" / "realtraffic"


def read_labels(path: Path) -> tuple[str, list[tuple[int, str, str]]]:
    """Return the recorded sha256 and (row, stratum, label) rows."""
    sha = ""
    rows: list[tuple[int, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            if "sha256" in line:
                sha = line.rsplit(":", 1)[1].strip()
            continue
        if not line or line.startswith("row\t"):
            continue
        row, stratum, label = line.split("\t")
        if label not in LABELS:
            raise SystemExit(f"{path}: unknown label {label!r} for row {row}")
        rows.append((int(row), stratum, label))
    return sha, rows


def read_source(data: Path, expected_sha: str | None) -> list[str]:
    path = data / SOURCE
    if not path.is_file():
        raise SystemExit(f"cannot find {path}; pass --data DIR (the folder holding {SOURCE})")
    raw = path.read_bytes()
    if expected_sha is not None:
        actual = hashlib.sha256(raw).hexdigest()
        if actual != expected_sha:
            raise SystemExit(
                f"{path} has sha256 {actual}, the labels were made for {expected_sha}: "
                "row numbers would point at other comments"
            )
    lines = raw.decode("utf-8").split("\n")
    return [line.split("\t", 3)[3] for line in lines[1:] if line]


def classify(analyzer: Analyzer, texts: Sequence[str], batch: int = 512) -> list[Verdict]:
    out: list[Verdict] = []
    for start in range(0, len(texts), batch):
        chunk = [
            Comment(room="realtraffic", text=t, ts=0.0, id=str(start + i))
            for i, t in enumerate(texts[start : start + batch])
        ]
        out.extend(analyzer.analyze(chunk))
    return out


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a (0/0)"


def figures(gold: Sequence[str], pred: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Each figure as (numerator, denominator)."""
    pairs = list(zip(gold, pred, strict=True))
    chatter = [p for g, p in pairs if g == "chatter"]
    review = [g for g, p in pairs if p in REVIEW]
    q_pred = [g for g, p in pairs if p == "question"]
    q_true = [p for g, p in pairs if g == "question"]
    abuse_true = [p for g, p in pairs if g == "abuse"]
    n = len(pairs)
    return {
        "chatter_flagged": (sum(p != "chatter" for p in chatter), len(chatter)),
        "review_precision": (sum(g in REVIEW for g in review), len(review)),
        "question_precision": (sum(g == "question" for g in q_pred), len(q_pred)),
        "question_recall": (sum(p == "question" for p in q_true), len(q_true)),
        "grievance_share_pred": (sum(p == "grievance" for p in pred), n),
        "grievance_share_true": (sum(g == "grievance" for g in gold), n),
        "abuse_recall": (sum(p == "abuse" for p in abuse_true), len(abuse_true)),
    }


TITLES = {
    "chatter_flagged": "real chatter flagged as something else [<= 0.05]",
    "review_precision": "review-queue precision (abuse+spam verdicts truly abuse/spam) [>= 0.70]",
    "question_precision": "question precision [>= 0.70]",
    "question_recall": "question recall [>= 0.70]",
    "grievance_share_pred": "grievance share of all comments, predicted [<= 0.02]",
    "grievance_share_true": "grievance share of all comments, true",
    "abuse_recall": "abuse recall [>= 0.70]",
}


def print_block(name: str, gold: Sequence[str], pred: Sequence[str]) -> None:
    print(f"== {name} == n={len(gold)}  true labels: {dict(Counter(gold).most_common())}")
    for key, (num, den) in figures(gold, pred).items():
        print(f"  {TITLES[key]:<78} {_ratio(num, den)}")
    cm = Counter(zip(gold, pred, strict=True))
    width = max(len(label) for label in LABELS) + 1
    print("  confusion (rows true, columns predicted):")
    print("  " + " " * width + "".join(f"{label:>{width}}" for label in LABELS))
    for g in LABELS:
        print("  " + f"{g:<{width}}" + "".join(f"{cm[(g, p)]:>{width}}" for p in LABELS))
    print()


def show_errors(
    rows: Sequence[tuple[int, str, str]], texts: Sequence[str], verdicts: Sequence[Verdict]
) -> None:
    print("== false flags (true chatter, predicted otherwise) ==")
    for (row, stratum, gold), v in zip(rows, verdicts, strict=True):
        if gold == "chatter" and v.label != "chatter":
            flag = f"{v.label} {v.confidence:.2f}"
            print(f"  {row}\t{stratum}\t{flag}\t{texts[row]}\t{list(v.reasons)}")
    print("== missed or mislabelled positives (true non-chatter, predicted otherwise) ==")
    for (row, stratum, gold), v in zip(rows, verdicts, strict=True):
        if gold != "chatter" and v.label != gold:
            print(f"  {row}\t{stratum}\t{gold} -> {v.label}\t{texts[row]}\t{list(v.reasons)}")
    print()


def run_shares(analyzer: Analyzer, texts: list[str], n: int | None, seed: int) -> None:
    picked = texts if n is None or n >= len(texts) else random.Random(seed).sample(texts, n)
    started = time.process_time()
    verdicts = classify(analyzer, picked)
    cpu = time.process_time() - started
    counts = Counter(v.label for v in verdicts)
    print(f"== predicted label shares on {len(picked)} rows (model {analyzer.version}) ==")
    for label in LABELS:
        print(f"  {label:<10} {counts[label] / len(picked):.4f}  ({counts[label]})")
    print(f"  ({cpu:.1f} CPU-s)")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help=f"folder holding {SOURCE}")
    ap.add_argument("--labels", type=Path, default=LABELS_FILE)
    ap.add_argument("--model", type=Path, default=None, help="models folder (default: shipped)")
    ap.add_argument(
        "--lexicons", type=Path, default=None, help="lexicons folder (default: shipped)"
    )
    ap.add_argument(
        "--split",
        choices=("dev", "tune", "looked", *HELD_OUT),
        default="dev",
    )
    ap.add_argument("--i-know-this-is-final", action="store_true")
    ap.add_argument("--show-errors", action="store_true", help="print false flags to stdout")
    ap.add_argument(
        "--shares",
        nargs="?",
        type=int,
        const=0,
        default=None,
        metavar="N",
        help="print predicted label shares on the whole file (or N random rows)",
    )
    ap.add_argument("--seed", type=int, default=11, help="seed for --shares N")
    args = ap.parse_args(argv)
    # Refuse before the model or the data is loaded: no verdict on a held-out
    # part is computed unless this is its one look.
    if args.shares is None and args.split.startswith("final") and not args.i_know_this_is_final:
        raise SystemExit(
            "--split final is the part looked at once, at the end: "
            "add --i-know-this-is-final if this is that time"
        )

    data = args.data or default_data()
    analyzer = Analyzer.load(asset_dir("models", args.model), asset_dir("lexicons", args.lexicons))
    print(f"model {analyzer.version}  lexicons {analyzer.lexicon_hash}")

    sha, labelled = read_labels(args.labels)
    texts = read_source(data, sha or None)
    if args.shares is not None:
        run_shares(analyzer, texts, args.shares or None, args.seed)
        return

    strata = {**HELD_OUT, "tune": TUNE, "looked": LOOKED}.get(args.split, DEV)
    rows = [r for r in labelled if r[1] in strata]
    verdicts = classify(analyzer, [texts[row] for row, _, _ in rows])
    # The tune and looked splits are shown by part (each part overall) and, for
    # looked, by kind of stratum; the others by stratum.
    tune_parts = {"dev": DEV, "final": FINAL, "final2": FINAL2, "final3": FINAL3}
    if args.split == "tune":
        parts = tune_parts
    elif args.split == "looked":
        kinds = {k: tuple(s for s in LOOKED if s.startswith(k)) for k in ("random", "asks")}
        kinds["enriched"] = tuple(s for s in LOOKED if s.startswith("enriched"))
        more = {part: HELD_OUT[part] for part in HELD_OUT if part not in tune_parts}
        more = {part: members for part, members in more.items() if set(members) <= set(LOOKED)}
        parts = {**tune_parts, **more, **{f"every {k} stratum": v for k, v in kinds.items()}}
    else:
        parts = {stratum: (stratum,) for stratum in strata}
    for name, members in parts.items():
        idx = [i for i, r in enumerate(rows) if r[1] in members]
        print_block(name, [rows[i][2] for i in idx], [verdicts[i].label for i in idx])
    if len(strata) > 1:
        members = f"{len(strata)} strata" if args.split == "looked" else " + ".join(strata)
        print_block(
            f"{args.split} overall ({members})",
            [r[2] for r in rows],
            [v.label for v in verdicts],
        )
    if args.show_errors:
        show_errors(rows, texts, verdicts)


if __name__ == "__main__":
    main()

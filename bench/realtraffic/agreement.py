"""Inter-annotator agreement between two hand labellings of the real barrage.

Run from the repo root::

    python bench/realtraffic/agreement.py [FIRST] [SECOND] [--stratum NAME ...]

FIRST and SECOND default to ``bench/realtraffic/labels.tsv`` and
``bench/realtraffic/labels-second.tsv`` (``row<TAB>stratum<TAB>label`` after
``#`` comment lines and a header). Only rows present in both files are
compared (optionally only some strata: ``--stratum`` may be repeated). It
reads no comment text.

Prints, over the common rows:

* raw agreement and Cohen's kappa over the five labels;
* each annotator's count per label;
* the confusion matrix (rows: FIRST, columns: SECOND);
* per non-chatter label L, "chatter vs L": on the rows both annotators gave
  chatter or L, the agreement, Cohen's kappa and the positive agreement
  2*both_L / (L_by_first + L_by_second), which, unlike raw agreement, is not
  swamped by the chatter both agree on.

Kappa is undefined (printed as ``n/a``) when chance agreement is 1, e.g.
when both annotators used a single label.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = ("chatter", "question", "grievance", "abuse", "spam")


def read_labels(path: Path) -> tuple[dict[int, tuple[str, str]], str | None]:
    """``{row: (stratum, label)}`` and the source sha256 recorded in the header."""
    rows: dict[int, tuple[str, str]] = {}
    sha: str | None = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#"):
            if "sha256" in line:
                sha = line.rsplit(":", 1)[-1].strip()
            continue
        if not line.strip() or line.startswith("row\t"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0].isdigit() or parts[2] not in LABELS:
            raise SystemExit(f"{path}:{n}: expected row<TAB>stratum<TAB>label, got {line!r}")
        row = int(parts[0])
        if row in rows:
            raise SystemExit(f"{path}:{n}: row {row} labelled twice")
        rows[row] = (parts[1], parts[2])
    return rows, sha


def kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of paired labels; None when chance agreement is 1."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    chance = sum(first[k] * second[k] for k in first) / (n * n)
    if chance >= 1.0:
        return None
    return (observed - chance) / (1.0 - chance)


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", nargs="?", type=Path, default=HERE / "labels.tsv")
    parser.add_argument("second", nargs="?", type=Path, default=HERE / "labels-second.tsv")
    parser.add_argument(
        "--stratum",
        action="append",
        help="compare only this stratum; repeat to pool several (default: all common rows)",
    )
    args = parser.parse_args(argv)

    first, sha1 = read_labels(args.first)
    second, sha2 = read_labels(args.second)
    if sha1 and sha2 and sha1 != sha2:
        print(f"the two files label different sources ({sha1} vs {sha2})", file=sys.stderr)
        return 2
    common = sorted(set(first) & set(second))
    for row in common:
        if first[row][0] != second[row][0]:
            print(f"row {row}: stratum {first[row][0]} vs {second[row][0]}", file=sys.stderr)
            return 2
    if args.stratum:
        common = [r for r in common if first[r][0] in args.stratum]
    if not common:
        print(
            "no common rows" + (f" in stratum {', '.join(args.stratum)}" if args.stratum else ""),
            file=sys.stderr,
        )
        return 1
    pairs = [(first[r][1], second[r][1]) for r in common]
    n = len(pairs)
    agree = sum(a == b for a, b in pairs)
    strata = Counter(first[r][0] for r in common)

    print(f"first:  {args.first}")
    print(f"second: {args.second}")
    print(f"common rows: {n} ({', '.join(f'{s} {c}' for s, c in sorted(strata.items()))})")
    print(f"raw agreement: {agree / n:.3f} ({agree}/{n})")
    print(f"Cohen's kappa: {fmt(kappa(pairs))}")

    c1 = Counter(a for a, _ in pairs)
    c2 = Counter(b for _, b in pairs)
    width = max(len(x) for x in LABELS) + 2
    print("\ncounts per label")
    print(f"{'':<{width}}{'first':>8}{'second':>8}")
    for lab in LABELS:
        print(f"{lab:<{width}}{c1[lab]:>8}{c2[lab]:>8}")

    matrix = Counter(pairs)
    print("\nconfusion (rows: first, columns: second)")
    print(f"{'':<{width}}" + "".join(f"{lab:>{width}}" for lab in LABELS))
    for a in LABELS:
        print(f"{a:<{width}}" + "".join(f"{matrix[a, b]:>{width}}" for b in LABELS))

    print("\nchatter vs label (rows both annotators labelled chatter or that label)")
    print(
        f"{'':<{width}}{'rows':>6}{'agree':>8}{'kappa':>8}{'both':>6}{'1st':>5}{'2nd':>5}{'pos.agr':>9}"
    )
    for lab in LABELS[1:]:
        sub = [(a, b) for a, b in pairs if a in ("chatter", lab) and b in ("chatter", lab)]
        both = sum(a == b == lab for a, b in sub)
        only1 = sum(a == lab and b == "chatter" for a, b in sub)
        only2 = sum(a == "chatter" and b == lab for a, b in sub)
        ok = sum(a == b for a, b in sub)
        pos = 2 * both / (2 * both + only1 + only2) if both + only1 + only2 else None
        agr = ok / len(sub) if sub else None
        print(
            f"{lab:<{width}}{len(sub):>6}{fmt(agr):>8}{fmt(kappa(sub)):>8}"
            f"{both:>6}{only1:>5}{only2:>5}{fmt(pos):>9}"
        )
    print("  both: both said the label; 1st/2nd: only that annotator did (the other said chatter)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

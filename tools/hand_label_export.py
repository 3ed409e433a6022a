"""Write the licensed real chat texts that need a hand label, for a person to read.

    python tools/hand_label_export.py --out /tmp/hand [--parts 3] [--data ../shared/data]

Writes ``<out>/<set>-<part>.tsv`` with ``key<TAB>text`` lines: the turns of
``cdial_weibo`` and the non-ad lines of ``qq_group_chat`` (training share)
that carry an ask cue, whose set label cannot say whether they ask someone
something (``roomwatch.training.realchat.cued_texts``). A labeller writes
``key<TAB>label`` lines by the labelling guide (docs/labelling-guide.md);
``corpus/real/<set>.tsv`` keeps those, never the text, and ``roomwatch
train`` reads them (see corpus/real/README.md). Keys already labelled there
are left out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from roomwatch.training.realchat import SETS, cued_texts, hand_key, read_hand_labels

ROOT = Path(__file__).resolve().parents[1]


def _default_data() -> Path:
    """``shared/data`` in the nearest folder above the repository that has one."""
    for base in ROOT.parents:
        if (base / "shared" / "data").is_dir():
            return base / "shared" / "data"
    return ROOT.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--parts", type=int, default=1)
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder")
    args = ap.parse_args(argv)
    data = args.data or _default_data()
    if not any((data / path).is_file() for path in SETS.values()):
        ap.error(f"{data} holds none of {', '.join(map(str, SETS.values()))}: pass --data")
    if args.out.resolve().is_relative_to(ROOT):
        ap.error("--out must be outside the repository: it keeps labels, never texts")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, texts in cued_texts(data).items():
        done = read_hand_labels(ROOT / "corpus" / "real" / f"{name}.tsv")
        todo = [(hand_key(t), t) for t in texts if hand_key(t) not in done]
        size = -(-len(todo) // args.parts) if todo else 0
        for part in range(args.parts):
            chunk = todo[part * size : (part + 1) * size]
            path = args.out / f"{name}-{part + 1}.tsv"
            path.write_text("".join(f"{k}\t{t}\n" for k, t in chunk), encoding="utf-8")
            print(f"{path}: {len(chunk)} texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

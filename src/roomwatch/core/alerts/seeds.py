"""The alert detectors' word lists, read from ``lexicons/alerts/`` once at import.

* ``topics.tsv``: grievance topic -> seed terms (``topic<TAB>term`` a line);
* ``watch.txt``: the default watch list (one term a line, order kept);
* ``stopwords.txt``: words that name no topic (one a line).

Lines starting with ``#`` and blank lines are skipped, as in the other
lexicons. The folder is found the way :func:`roomwatch.assets.asset_dir`
finds the bundled lexicons (``roomwatch/_assets/lexicons`` in a wheel, the
repository's ``lexicons/`` in a checkout); core may not import that module,
so the two candidates are repeated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from roomwatch.core.errors import ModelError
from roomwatch.core.normalize import EMOTE_TOKENS

__all__ = [
    "DEFAULT_TOPIC_SEEDS",
    "DEFAULT_WATCH_TERMS",
    "STOPWORDS",
    "lexicon_dir",
    "read_stopwords",
    "read_topic_seeds",
    "read_watch_terms",
]

_PACKAGE: Final = Path(__file__).resolve().parents[2]  # .../roomwatch


def lexicon_dir() -> Path:
    """The bundled ``lexicons/alerts`` folder."""
    for base in (_PACKAGE / "_assets" / "lexicons", _PACKAGE.parents[1] / "lexicons"):
        candidate = base / "alerts"
        if candidate.is_dir():
            return candidate
    raise ModelError("cannot find the bundled lexicons/alerts folder; reinstall roomwatch")


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"cannot read alert lexicon {path}: {exc}") from exc
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.startswith("#")
    ]


def read_topic_seeds(path: Path) -> Mapping[str, tuple[str, ...]]:
    """``topic<TAB>term`` lines -> topic -> terms, both in file order."""
    seeds: dict[str, list[str]] = {}
    for number, line in _lines(path):
        topic, sep, term = line.partition("\t")
        if not sep or not topic.strip() or not term.strip():
            raise ModelError(f"{path}:{number}: expected topic<TAB>term")
        seeds.setdefault(topic.strip(), []).append(term.strip())
    return MappingProxyType({topic: tuple(terms) for topic, terms in seeds.items()})


def read_watch_terms(path: Path) -> tuple[str, ...]:
    """One term a line, in file order."""
    return tuple(line for _, line in _lines(path))


def read_stopwords(path: Path) -> frozenset[str]:
    """One word a line."""
    return frozenset(line for _, line in _lines(path))


_DIR: Final = lexicon_dir()

#: Seed lexicon for grievance topics: topic name -> terms (matched as
#: substrings of the normalised text). Topics it does not know are found by
#: incremental token clustering instead.
DEFAULT_TOPIC_SEEDS: Final[Mapping[str, tuple[str, ...]]] = read_topic_seeds(_DIR / "topics.tsv")
#: Default watch list; :attr:`AlertConfig.room_watch_terms` replaces it per room.
DEFAULT_WATCH_TERMS: Final[tuple[str, ...]] = read_watch_terms(_DIR / "watch.txt")
#: Tokens that name no topic (skipped by clustering and top terms), and the
#: normaliser's emoji placeholders (emoneg ...), which are no words at all.
STOPWORDS: Final[frozenset[str]] = read_stopwords(_DIR / "stopwords.txt") | frozenset(
    EMOTE_TOKENS.values()
)

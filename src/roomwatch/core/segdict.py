"""The segmenter's word table, kept between processes the way jieba keeps its own.

Building the ``word -> log probability`` table means loading jieba's
dictionary (jieba unmarshals its ``jieba.cache``: about 0.65 s of CPU here),
adding ``userdict.txt`` and converting ~500k entries: close to a second at
every start of ``classify``, ``replay`` and ``serve``. This module stores the
finished table next to jieba's cache (the system temp folder) as one ``.npz``
(no pickle) and reads it back in milliseconds, without importing jieba.

The table is kept the way the segmenter reads it (:class:`WordTable`): a
vectorised hash table (:class:`~roomwatch.core.codetable.CodeTable`) from the
64-bit code of every word and word prefix to its log probability, so a batch
of texts looks up all its candidate words in a few numpy passes
(:mod:`roomwatch.core.segment`). It loads in milliseconds and takes about
30 MB, where the ``str -> float`` dict it replaced took 0.2 s to rebuild at
every start and 55 MB. The words themselves are stored too (for checks),
but not read.

The file name carries a key made of everything the table is built from:
this format's version, jieba's version (the bytes of its ``__init__.py``,
which names it), the size and modification time of jieba's ``dict.txt`` and
the SHA-256 of the user dictionary's bytes. A changed input is a new key, so
a stale table is never read. Reading checks
the key stored inside the file as well; any error reading it (missing,
truncated, another format) means "build it", and a failure to write is
ignored (a read-only temp folder only costs the second).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from roomwatch.core.codetable import CodeTable, TokenHasher, build_table
from roomwatch.core.npzmap import map_npz, save_npz

__all__ = [
    "FORMAT",
    "Table",
    "WordTable",
    "cache_path",
    "jieba_dict_path",
    "read_table",
    "write_table",
]

FORMAT: Final = "roomwatch-segdict-3"  # 3: members aligned (npzmap)

#: ``(logp, unknown)``: word -> log probability (``None`` for prefixes only),
#: and the log probability of a character the dictionary lacks (what the
#: table is built from).
Table = tuple[dict[str, float | None], float]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class WordTable:
    """Every word and word prefix of the dictionary, by code: the segmenter's table.

    ``codes`` maps a run's code (:class:`~roomwatch.core.codetable.TokenHasher`
    with ``hasher``'s base) to an index into ``logp``: the word's log
    probability, NaN for a prefix that is no word. ``unknown`` is the log
    probability of a character the dictionary lacks. A run whose 64-bit code
    collides with a word's would be taken for it (as for the model's word
    features, :mod:`roomwatch.core.codetable`); the base is drawn at random
    when the table is built.
    """

    hasher: TokenHasher
    codes: CodeTable
    logp: np.ndarray
    unknown: float

    @classmethod
    def build(cls, table: Table, base: int | None = None) -> WordTable:
        words, unknown = table
        hasher = TokenHasher(base)
        values = np.fromiter(
            (math.nan if v is None else v for v in words.values()), np.float64, len(words)
        )
        codes = build_table(hasher.codes(list(words)), np.arange(len(words), dtype=np.int64))
        return cls(hasher, codes, values, unknown)

    def lookup(self, words: Sequence[str]) -> list[float | None]:
        """Each word's log probability (NaN: a prefix only; None: not in the table)."""
        index, found = self.codes.lookup(self.hasher.codes(words))
        values = self.logp[np.where(found, index, 0)].tolist() if len(self.logp) else []
        return [v if ok else None for v, ok in zip(values, found.tolist(), strict=False)]


def jieba_dict_path() -> Path:
    """jieba's own ``dict.txt``, found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba is not installed")
    return Path(spec.origin).parent / "dict.txt"


def cache_path(userdict_bytes: bytes, folder: Path | None = None) -> Path:
    """Where the table for this user dictionary (and this jieba) is kept."""
    digest = hashlib.sha256()
    dict_txt = jieba_dict_path()
    main = dict_txt.stat()
    # jieba's __init__.py names its version (importlib.metadata, which read it
    # from the installed metadata, was ~7 ms of every start to import)
    version = hashlib.sha256((dict_txt.parent / "__init__.py").read_bytes()).hexdigest()
    for part in (
        FORMAT,
        version,
        f"{main.st_size}:{main.st_mtime_ns}",
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(hashlib.sha256(userdict_bytes).digest())
    where = folder if folder is not None else Path(tempfile.gettempdir())
    return where / f"roomwatch-segdict-{digest.hexdigest()[:24]}.npz"


def read_table(path: Path) -> WordTable | None:
    """The table stored at ``path``, or ``None`` if it is missing or unreadable."""
    try:
        if os.stat(path).st_uid != os.getuid():  # (a shared temp folder: as prepared.py)
            _log.warning("ignoring %s: another user's file", path)
            return None
        npz = map_npz(path)  # (read-only views of the file's pages: no copy)
        if bytes(npz["format"]).decode() != FORMAT or bytes(npz["name"]).decode() != path.name:
            return None
        shift, mask, max_probe = (int(v) for v in npz["probe"])
        keys = np.asarray(npz["keys"], dtype=np.uint64)
        slots = np.asarray(npz["slots"], dtype=np.int32)
        logp = np.asarray(npz["logp"], dtype=np.float64)
        base = int(npz["base"][0])
        unknown = float(npz["unknown"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        _log.warning("ignoring unreadable segmenter table %s: %s", path, exc)
        return None
    if len(keys) != mask + 1 or len(slots) != len(keys) or int(slots.max(initial=-1)) >= len(logp):
        return None
    codes = CodeTable(keys, slots, np.uint64(shift), mask, max_probe)
    return WordTable(TokenHasher(base), codes, logp, unknown)


def write_table(path: Path, table: WordTable, words: Sequence[str] = ()) -> None:
    """Store ``table`` (and, for checks, its ``words``) at ``path`` (atomically);
    failures are logged and ignored."""
    codes = table.codes
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as fh:
            save_npz(  # (np.savez's format, each member aligned: map_npz)
                fh,
                {
                    "format": np.frombuffer(FORMAT.encode(), dtype=np.uint8),
                    "name": np.frombuffer(path.name.encode(), dtype=np.uint8),
                    "words": np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
                    "keys": codes.keys,
                    "slots": codes.values,
                    "probe": np.array(
                        [int(codes.shift), codes.mask, codes.max_probe], dtype=np.int64
                    ),
                    "logp": table.logp,
                    "base": np.array([table.hasher.base], dtype=np.uint64),
                    "unknown": np.array(table.unknown, dtype=np.float64),
                },
            )
        os.replace(tmp, path)
    except OSError as exc:
        _log.warning("could not store the segmenter table at %s: %s", path, exc)
        tmp.unlink(missing_ok=True)

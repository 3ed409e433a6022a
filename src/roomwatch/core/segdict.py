"""The segmenter's word table, kept between processes the way jieba keeps its own.

Building the ``word -> log probability`` table means loading jieba's
dictionary (jieba unmarshals its ``jieba.cache``: about 0.65 s of CPU here),
adding ``userdict.txt`` and converting ~500k entries: close to a second at
every start of ``classify``, ``replay`` and ``serve``. This module stores the
finished table next to jieba's cache (the system temp folder) as one ``.npz``
(no pickle: the keys as one UTF-8 blob, values as indexes into a small float
table) and reads it back in about a quarter of that, without importing jieba.

The file name carries a key made of everything the table is built from:
this format's version, jieba's version, the size and modification time of
jieba's ``dict.txt`` and the SHA-256 of the user dictionary's bytes. A
changed input is a new key, so a stale table is never read. Reading checks
the key stored inside the file as well; any error reading it (missing,
truncated, another format) means "build it", and a failure to write is
ignored (a read-only temp folder only costs the second).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import tempfile
from pathlib import Path
from typing import Final

import numpy as np

__all__ = ["FORMAT", "Table", "cache_path", "jieba_dict_path", "read_table", "write_table"]

FORMAT: Final = "roomwatch-segdict-1"

#: ``(logp, unknown)``: word -> log probability (``None`` for prefixes only),
#: and the log probability of a character the dictionary lacks.
Table = tuple[dict[str, float | None], float]

_log = logging.getLogger(__name__)


def jieba_dict_path() -> Path:
    """jieba's own ``dict.txt``, found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba is not installed")
    return Path(spec.origin).parent / "dict.txt"


def cache_path(userdict_bytes: bytes, folder: Path | None = None) -> Path:
    """Where the table for this user dictionary (and this jieba) is kept."""
    digest = hashlib.sha256()
    main = jieba_dict_path().stat()
    for part in (
        FORMAT,
        importlib.metadata.version("jieba"),
        f"{main.st_size}:{main.st_mtime_ns}",
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(hashlib.sha256(userdict_bytes).digest())
    where = folder if folder is not None else Path(tempfile.gettempdir())
    return where / f"roomwatch-segdict-{digest.hexdigest()[:24]}.npz"


def read_table(path: Path) -> Table | None:
    """The table stored at ``path``, or ``None`` if it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if bytes(npz["format"]).decode() != FORMAT or bytes(npz["name"]).decode() != path.name:
                return None
            words = _lines(bytes(npz["words"]))
            prefixes = _lines(bytes(npz["prefixes"]))
            values: list[float] = npz["values"].tolist()
            index: list[int] = npz["index"].tolist()
            unknown = float(npz["unknown"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        _log.warning("ignoring unreadable segmenter table %s: %s", path, exc)
        return None
    if len(words) != len(index):
        return None
    logp: dict[str, float | None] = dict.fromkeys(prefixes)
    logp.update(zip(words, map(values.__getitem__, index), strict=True))
    return logp, unknown


def _lines(blob: bytes) -> list[str]:
    return blob.decode("utf-8").split("\n") if blob else []


def write_table(path: Path, table: Table) -> None:
    """Store ``table`` at ``path`` (atomically); failures are logged and ignored."""
    logp, unknown = table
    words = [w for w, v in logp.items() if v is not None]
    prefixes = [w for w, v in logp.items() if v is None]
    distinct: dict[float, int] = {}
    index = [distinct.setdefault(v, len(distinct)) for v in logp.values() if v is not None]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                format=np.frombuffer(FORMAT.encode(), dtype=np.uint8),
                name=np.frombuffer(path.name.encode(), dtype=np.uint8),
                words=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
                prefixes=np.frombuffer("\n".join(prefixes).encode("utf-8"), dtype=np.uint8),
                values=np.fromiter(distinct, dtype=np.float64, count=len(distinct)),
                index=np.asarray(index, dtype=np.uint32),
                unknown=np.float64(unknown),
            )
        os.replace(tmp, path)
    except OSError as exc:
        _log.warning("could not store the segmenter table at %s: %s", path, exc)
        tmp.unlink(missing_ok=True)

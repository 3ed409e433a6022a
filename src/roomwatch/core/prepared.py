"""Arrays kept between processes in the temp folder, as jieba keeps its cache.

Loading the model means unpacking ``weights.npz`` (its vocabularies are
300k strings), building the feature hash tables and the classifier's masks:
about a third of a second at every start of ``classify``, ``replay``,
``serve`` and each worker process. The finished arrays are stored in one
uncompressed ``.npz`` (no pickle) named by a hash of everything they are
built from, and read back in a few milliseconds
(:func:`roomwatch.core.classify.load_prepared`).

A changed input is a new name, so a stale file is never read; the name is
also stored inside the file and checked. A file that is missing, unreadable,
of another format, or not owned by this user is ignored (then the arrays are
built and stored again); a failure to write only costs the time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from roomwatch.core.npzmap import map_npz, save_npz

__all__ = ["cache_file", "read_arrays", "write_arrays"]

_log = logging.getLogger(__name__)
_NAME = "_name"


def cache_file(prefix: str, parts: Iterable[bytes], folder: Path | None = None) -> Path:
    """``folder/<prefix>-<hash of parts>.npz`` (default folder: the temp folder)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    where = folder if folder is not None else Path(tempfile.gettempdir())
    return where / f"{prefix}-{digest.hexdigest()[:24]}.npz"


def read_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path``, or ``None`` if there is no usable file."""
    try:
        if os.stat(path).st_uid != os.getuid():
            _log.warning("ignoring %s: another user's file", path)
            return None
        arrays = map_npz(path)  # (read-only views of the file's pages: no copy)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        _log.warning("ignoring unreadable cache file %s: %s", path, exc)
        return None
    name = arrays.pop(_NAME, None)
    if name is None or bytes(name).decode("utf-8", "replace") != path.name:
        return None
    return arrays


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Store ``arrays`` at ``path`` (atomically, readable by this user only);
    failures are logged and ignored."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    named = {**arrays, _NAME: np.frombuffer(path.name.encode(), dtype=np.uint8)}
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as fh:
            save_npz(fh, named)  # (np.savez's format, each member aligned: map_npz)
        os.replace(tmp, path)
    except OSError as exc:
        _log.warning("could not store the cache file %s: %s", path, exc)
        tmp.unlink(missing_ok=True)

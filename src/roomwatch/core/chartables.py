"""The normaliser's lexicon-independent tables: built, and kept between processes.

:class:`~roomwatch.core.normalize.Normalizer` needs two tables that no
lexicon changes: bits for every BMP code point (which ones ``str.lower``
changes, which ones each of its one-character classes takes: emoji,
whitespace, separators, punctuation) and zhconv's single-character
traditional → simplified table. Built, they cost ~0.02 CPU-s of every start
(a pass over the 65,536 code points per class; zhconv's 0.5 MB dictionary
decoded for one of its tables).

:func:`kept_tables` keeps them as :mod:`roomwatch.core.prepared` keeps the
prepared model: one uncompressed ``.npz`` in the temp folder, named by a hash
of everything they are built from (this Python, whose ``str.lower`` and
``re`` classes decide the bits; its Unicode version; the classes and bits
asked for; zhconv's file). A changed input is a new name; a file that is
missing, damaged (each member's CRC-32 is checked), of another shape or not
this user's is built again; a failure to write only costs the time.
Only the loader calls it (``Normalizer.from_dir``): the constructor builds
what it is not given, and writes nothing.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np

from roomwatch.core.errors import ModelError
from roomwatch.core.prepared import cache_file, read_arrays, write_arrays

__all__ = ["char_classes", "kept_tables", "t2s_table", "zhconv_data"]

_log = logging.getLogger(__name__)

#: Every BMP code point has a slot; the last one stands for every astral one.
ASTRAL: Final = 0x10000
#: The layout of the kept file; a new layout is a new name.
_FORMAT: Final = b"roomwatch-chartables-1"

#: ``(one-character pattern, bit)``: the characters the pattern takes get the bit.
Classes = Sequence[tuple[str, int]]


def char_classes(classes: Classes, lower: int, astral: int) -> np.ndarray:
    """Bits per BMP code point: ``lower`` where ``str.lower`` changes the
    character, each class's bit where its pattern takes it; ``astral`` in
    the last slot."""
    bits = np.zeros(ASTRAL + 1, dtype=np.uint16)
    # Every BMP code point in order (surrogates too), as "".join(map(chr, ...)) at a
    # twentieth of its cost.
    chars = np.arange(ASTRAL, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    bits[[ord(ch) for ch in chars if ch.lower() != ch]] |= lower
    for pattern, bit in classes:
        bits[[m.start() for m in re.finditer(pattern, chars)]] |= bit
    bits[ASTRAL] = astral
    return bits


def zhconv_data() -> bytes:
    """zhconv's dictionary file, read directly: its own loader leaves the file
    open, and importing zhconv imports pkg_resources (about 40 ms of start-up).
    find_spec locates a top-level package without running it."""
    spec = importlib.util.find_spec("zhconv")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the zhconv package is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return (folder / "zhcdict.json").read_bytes()


def t2s_table(data: bytes) -> dict[int, str]:
    """Single-character traditional → simplified table from zhconv's dictionary."""
    conv: dict[str, str] = json.loads(data.decode("utf-8"))["zh2Hans"]
    table: dict[int, str] = {}
    for src, dst in conv.items():
        if len(src) == 1 and len(dst) == 1 and src != dst:
            table[ord(src)] = dst
    return table


def kept_tables(
    classes: Classes, lower: int, astral: int, folder: Path | None = None
) -> tuple[np.ndarray, dict[int, str]]:
    """``char_classes(classes, lower, astral)`` and ``t2s_table(zhconv_data())``,
    read from ``folder`` (default: the temp folder) when an earlier process
    stored them there, else built and stored."""
    data = zhconv_data()
    parts = [
        _FORMAT,
        sys.version.encode(),
        unicodedata.unidata_version.encode(),
        repr((list(classes), lower, astral)).encode("utf-8", "surrogatepass"),
        data,
    ]
    where = cache_file("roomwatch-chartables", parts, folder)
    kept = read_arrays(where)
    if kept is not None:
        try:
            bits, sources, targets = kept["bits"], kept["t2s_from"], kept["t2s_to"]
            if bits.dtype != np.uint16 or bits.shape != (ASTRAL + 1,):
                raise ValueError(f"bits of {bits.dtype} {bits.shape}")
            t2s = dict(zip(sources.tolist(), map(chr, targets.tolist()), strict=True))
            return bits, t2s
        except (KeyError, ValueError, TypeError) as exc:
            _log.warning("ignoring the kept tables %s: %s", where, exc)
    bits, t2s = char_classes(classes, lower, astral), t2s_table(data)
    arrays = {
        "bits": bits,
        "t2s_from": np.fromiter(t2s, dtype=np.int32, count=len(t2s)),
        "t2s_to": np.fromiter(map(ord, t2s.values()), dtype=np.int32, count=len(t2s)),
    }
    write_arrays(where, arrays)
    return bits, t2s

"""The arrays of an uncompressed ``.npz`` file, mapped from the file rather than read.

The start-up caches (:mod:`roomwatch.core.prepared`, :mod:`roomwatch.core.segdict`)
are ``np.savez`` files of about 60 MB together. ``np.load`` reads each member
through ``zipfile`` (with a CRC check) into fresh memory: ~50 ms of every start,
most of it copying bytes the page cache already holds. :func:`map_npz` maps the
file once and makes each stored member an array over its bytes instead (its
pages are read when touched, and shared with the other processes that map
the same file).

The arrays are read-only. A member that is compressed, of an object dtype or
in Fortran order, or a file whose layout is not as expected, raises
``ValueError``: the callers treat that as an unreadable cache (they build the
tables again). ``np.load`` is the reference: :func:`map_npz` returns the same
names, dtypes, shapes and values (``tests/core/test_npzmap.py``).
"""

from __future__ import annotations

import mmap
import struct
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["map_npz"]

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length


def map_npz(path: Path) -> dict[str, np.ndarray]:
    """``{name: array}`` of every ``name.npy`` member of ``path``, read-only views of a map."""
    with open(path, "rb") as fh:
        with zipfile.ZipFile(fh) as zf:
            members = zf.infolist()
        size = fh.seek(0, 2)
        if size == 0:
            raise ValueError(f"{path} is empty")
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    arrays: dict[str, np.ndarray] = {}
    for info in members:
        if not info.filename.endswith(".npy"):
            continue
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"{path}: {info.filename} is compressed")
        sig, name_len, extra_len = _LOCAL_HEADER.unpack_from(buf, info.header_offset)
        if sig != b"PK\x03\x04":
            raise ValueError(f"{path}: bad local header for {info.filename}")
        start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        arrays[info.filename[: -len(".npy")]] = _npy_view(buf, start, info.file_size)
    return arrays


def _npy_view(buf: mmap.mmap, start: int, length: int) -> np.ndarray:
    """The array stored as ``.npy`` bytes at ``buf[start : start + length]``."""
    member = memoryview(buf)[start : start + length]
    head = _Reader(member)
    version = npy_format.read_magic(head)
    if version == (1, 0):
        shape, fortran, dtype = npy_format.read_array_header_1_0(head)
    elif version == (2, 0):
        shape, fortran, dtype = npy_format.read_array_header_2_0(head)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    if fortran or dtype.hasobject:
        raise ValueError("a Fortran-ordered or object array")
    count = int(np.prod(shape, dtype=np.int64))
    if head.at + count * dtype.itemsize > length:
        raise ValueError("a member shorter than its header says")
    flat = np.frombuffer(member, dtype=dtype, count=count, offset=head.at)
    return flat.reshape(shape)


class _Reader:
    """A file-like ``read`` over a memoryview, for numpy's header readers."""

    __slots__ = ("at", "view")

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.at = 0

    def read(self, n: int = -1, /) -> bytes:
        out = bytes(self.view[self.at :] if n < 0 else self.view[self.at : self.at + n])
        self.at += len(out)
        return out

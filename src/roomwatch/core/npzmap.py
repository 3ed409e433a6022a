"""The arrays of an uncompressed ``.npz`` file, mapped from the file rather than read.

The start-up caches (:mod:`roomwatch.core.prepared`, :mod:`roomwatch.core.segdict`)
are ``.npz`` files of about 60 MB together. ``np.load`` reads each member
through ``zipfile`` (with a CRC check) into fresh memory: ~50 ms of every start,
most of it copying bytes the page cache already holds. :func:`map_npz` maps the
file once and makes each stored member an array over its bytes instead (its
pages are read when touched, and shared with the other processes that map
the same file).

An array over bytes that are not aligned for its type is slow to index
(numpy's unaligned loops: the classifier's table probes took 10% longer), so
:func:`save_npz` writes ``np.savez``'s format with every member's data
64-byte aligned in the file (a padding record in the member's extra field,
as ``zipalign`` does); :func:`map_npz` copies a member that is not aligned.

The arrays are read-only. A member that is compressed, of an object dtype or
in Fortran order, or a file whose layout is not as expected, raises
``ValueError``: the callers treat that as an unreadable cache (they build the
tables again). ``np.load`` is the reference: :func:`map_npz` returns the same
names, dtypes, shapes and values (``tests/core/test_npzmap.py``).
"""

from __future__ import annotations

import io
import mmap
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["map_npz", "save_npz"]

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length
_ALIGN = 64  # as numpy aligns the data within a .npy file
_PADDING_ID = 0xD935  # the extra field's record id for padding (as zipalign uses)


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
    if not flat.flags.aligned:
        flat = flat.copy()  # (a file not written by save_npz)
        flat.flags.writeable = False
    return flat.reshape(shape)


def save_npz(fh: BinaryIO, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as ``np.savez(fh, **arrays)`` does, each member's data aligned.

    ``fh`` must be seekable and at the start of a new file.
    """
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        for name, array in arrays.items():
            npy = io.BytesIO()
            npy_format.write_array(npy, np.asanyarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            # Local header, name, then the padding record: the data starts aligned
            # (numpy aligns the array within the .npy data the same way).
            at = fh.tell() + _LOCAL_HEADER.size + len(info.filename.encode()) + 4
            pad = -at % _ALIGN
            info.extra = struct.pack("<HH", _PADDING_ID, pad) + bytes(pad)
            zf.writestr(info, npy.getbuffer())


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

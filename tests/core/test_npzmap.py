"""``map_npz`` (the start-up caches' arrays mapped from the file) against ``np.load``.

Same names, dtypes, shapes and values for what ``np.savez`` and ``save_npz``
write, read-only arrays, aligned ones from ``save_npz``'s files (which
``np.load`` reads as ``np.savez``'s), and a clear ``ValueError``/``BadZipFile``
(a cache the callers ignore) for a compressed member, an object array or a
file cut short.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from roomwatch.core.npzmap import map_npz, save_npz
from roomwatch.core.prepared import read_arrays, write_arrays

_DTYPES = st.sampled_from(
    [np.uint8, np.int32, np.int64, np.uint64, np.float32, np.float64, np.bool_, "<U3", ">i4"]
)


def _reference(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)
    for key, array in want.items():
        assert got[key].dtype == array.dtype, key
        assert got[key].shape == array.shape, key
        assert np.array_equal(got[key], array, equal_nan=array.dtype.kind == "f"), key


@settings(max_examples=60, deadline=None)
@given(
    arrays=st.lists(
        hnp.arrays(_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)),
        min_size=1,
        max_size=5,
    )
)
def test_same_arrays_as_np_load(tmp_path_factory: pytest.TempPathFactory, arrays: list) -> None:
    folder = tmp_path_factory.mktemp("npz")
    named = {f"a{i}": a for i, a in enumerate(arrays)}
    np.savez(folder / "a.npz", **named)
    _same(map_npz(folder / "a.npz"), _reference(folder / "a.npz"))
    with open(folder / "b.npz", "wb") as fh:
        save_npz(fh, named)
    got = map_npz(folder / "b.npz")
    _same(got, _reference(folder / "b.npz"))
    _same(got, named)
    assert all(a.flags.aligned and not a.flags.writeable for a in got.values())


def test_save_npz_aligns_every_member(tmp_path: Path) -> None:
    named = {f"m{i}": np.arange(i * 7 + 3, dtype=np.uint64) for i in range(6)}
    named["odd"] = np.frombuffer(b"x" * 13, dtype=np.uint8)
    with open(tmp_path / "a.npz", "wb") as fh:
        save_npz(fh, named)
    got = map_npz(tmp_path / "a.npz")
    assert all(a.ctypes.data % 64 == 0 for a in got.values())
    assert all(a.base is not None for a in got.values())  # views of the map, not copies
    _same(got, named)
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:
        assert zf.testzip() is None  # a well-formed zip (CRCs, extra fields)
    np.savez(tmp_path / "b.npz", **named)  # unaligned members are copied
    assert all(a.flags.aligned for a in map_npz(tmp_path / "b.npz").values())


def test_large_arrays_and_read_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**63, size=300_000, dtype=np.uint64)
    path = tmp_path / "big.npz"
    np.savez(path, keys=keys, logp=rng.random(1000), one=np.float64(2.5))
    got = map_npz(path)
    _same(got, _reference(path))
    with pytest.raises(ValueError):
        got["keys"][0] = 1  # a view of the file's pages, never written


def test_prepared_cache_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch-model-x.npz"
    arrays = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.array([True, False])}
    write_arrays(path, arrays)
    got = read_arrays(path)
    assert got is not None
    _same(got, arrays)


def test_compressed_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    np.savez_compressed(path, a=np.arange(100))
    with pytest.raises(ValueError, match="compressed"):
        map_npz(path)


def test_object_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError):
        map_npz(path)


def test_cut_short_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.npz"
    np.savez(path, a=np.arange(10_000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises((ValueError, zipfile.BadZipFile)):
        map_npz(path)
    path.write_bytes(b"")
    with pytest.raises((ValueError, zipfile.BadZipFile)):
        map_npz(path)
    assert read_arrays(path) is None  # the cache's reader ignores it

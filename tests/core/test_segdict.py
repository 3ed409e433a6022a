"""The segmenter's word table kept between processes (roomwatch.core.segdict)."""

from __future__ import annotations

import math
from pathlib import Path

from roomwatch.core.segdict import Table, WordTable, cache_path, read_table, write_table
from roomwatch.core.segment import Segmenter, _build_table


def _userdict(folder: Path, text: str = "上链接 2000 v\n几号链接\n") -> Path:
    path = folder / "userdict.txt"
    path.write_text(text, encoding="utf-8")
    return path


_WORDS = ["上链接", "几号链接", "几号", "上链", "不是词", "包邮"]


def _values(table: WordTable) -> list[str]:
    """A table's value for some words (repr: NaN for a prefix, None for no word)."""
    return [repr(v) for v in table.lookup(_WORDS)] + [repr(table.unknown)]


def _expected(table: Table) -> list[str]:
    words, unknown = table
    values = [words.get(w, 1.0) for w in _WORDS]
    return ["None" if v == 1.0 else repr(math.nan if v is None else v) for v in values] + [
        repr(unknown)
    ]


def test_first_load_stores_the_table_and_it_reads_back(tmp_path: Path) -> None:
    userdict = _userdict(tmp_path)
    seg = Segmenter.from_dir(tmp_path, cache_dir=tmp_path)
    path = cache_path(userdict.read_bytes(), tmp_path)
    assert path.is_file()
    stored = read_table(path)
    assert stored is not None
    assert _values(stored) == _values(seg._dict.table) == _expected(_build_table(userdict))
    assert seg.cut("上链接几号链接") == ("上链接", "几号链接")


def test_every_input_is_in_the_key(tmp_path: Path) -> None:
    assert cache_path(b"a 1\n", tmp_path) != cache_path(b"a 2\n", tmp_path)
    assert cache_path(b"a 1\n", tmp_path) == cache_path(b"a 1\n", tmp_path)
    assert cache_path(b"a 1\n", tmp_path).parent == tmp_path


def test_missing_or_broken_store_reads_as_none(tmp_path: Path) -> None:
    path = cache_path(b"x\n", tmp_path)
    assert read_table(path) is None
    path.write_bytes(b"not an npz")
    assert read_table(path) is None


def test_a_table_under_another_key_is_not_read(tmp_path: Path) -> None:
    table = _build_table(_userdict(tmp_path))
    first = cache_path(b"one\n", tmp_path)
    write_table(first, WordTable.build(table))
    stored = read_table(first)
    assert stored is not None and _values(stored) == _expected(table)
    other = cache_path(b"two\n", tmp_path)
    other.write_bytes(first.read_bytes())
    assert read_table(other) is None


def test_unwritable_folder_still_segments(tmp_path: Path) -> None:
    folder = tmp_path / "lex"
    folder.mkdir()
    _userdict(folder, "家人们上链接 100\n")
    seg = Segmenter.from_dir(folder, cache_dir=tmp_path / "missing")
    assert seg.cut("家人们上链接") == ("家人们上链接",)
    assert not (tmp_path / "missing").exists()

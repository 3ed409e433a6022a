"""The normaliser's lexicon-independent tables, kept between processes.

What ``kept_tables`` reads back is what it builds; a file that is damaged,
of another shape or for other classes is never used; and a normaliser
loaded with kept tables folds text exactly as one that builds its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from roomwatch.core import chartables, normalize
from roomwatch.core.normalize import Normalizer
from roomwatch.core.prepared import write_arrays

LEXICONS = Path(__file__).resolve().parents[2] / "lexicons"
ARGS = (normalize._CLASSES, normalize._LOWER, normalize._ASTRAL_BITS)


def _kept_file(folder: Path) -> Path:
    (found,) = folder.glob("roomwatch-chartables-*.npz")
    return found


def _no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> object:
        raise AssertionError("built, not read")

    monkeypatch.setattr(chartables, "char_classes", refuse)
    monkeypatch.setattr(chartables, "t2s_table", refuse)


def test_the_kept_tables_are_the_built_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = chartables.kept_tables(*ARGS, tmp_path)
    assert np.array_equal(built[0], normalize._char_classes())
    assert built[1] == normalize._t2s_table()
    _no_building(monkeypatch)
    bits, t2s = chartables.kept_tables(*ARGS, tmp_path)
    assert bits.dtype == np.uint16 and np.array_equal(bits, built[0])
    assert t2s == built[1] and list(t2s) == list(built[1])


def test_a_damaged_or_misshapen_file_is_built_again(tmp_path: Path) -> None:
    built = chartables.kept_tables(*ARGS, tmp_path)
    path = _kept_file(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.index(b"\x01\x00", len(data) // 4)  # a byte of the bits member
    data[at] ^= 0x40
    path.write_bytes(bytes(data))
    bits, _ = chartables.kept_tables(*ARGS, tmp_path)
    assert np.array_equal(bits, built[0])
    # The right name, a wrong shape: ignored, built again.
    write_arrays(path, {"bits": built[0][:10], "t2s_from": np.zeros(0), "t2s_to": np.zeros(0)})
    bits, t2s = chartables.kept_tables(*ARGS, tmp_path)
    assert np.array_equal(bits, built[0]) and t2s == built[1]


def test_other_classes_are_another_file(tmp_path: Path) -> None:
    chartables.kept_tables(*ARGS, tmp_path)
    other = ((r"[xy]", 2),)
    bits, _ = chartables.kept_tables(other, 1, 3, tmp_path)
    assert len(list(tmp_path.glob("roomwatch-chartables-*.npz"))) == 2
    assert bits[ord("x")] == 2 and bits[ord("A")] == 1 and bits[ord("b")] == 0
    assert bits[chartables.ASTRAL] == 3


def test_a_normalizer_with_kept_tables_folds_as_one_that_builds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chartables.kept_tables(*ARGS, tmp_path)
    _no_building(monkeypatch)
    kept = Normalizer.from_dir(LEXICONS, cache_dir=tmp_path)
    monkeypatch.undo()
    built = Normalizer.from_dir(LEXICONS, cache_dir=tmp_path / "elsewhere")
    assert np.array_equal(kept._char_bits, built._char_bits)
    texts = [
        "ＡＢＣ１２３？", "國語學習", "[比心][大哭]", "哈哈哈哈哈！！！！", "傻 逼", "s.b 主播",
        "加 微 信", "😀😀 好看", "  主播   好  ", "\u0130stanbul ΣΑΣ", "\ud800x", "",
    ]  # fmt: skip
    assert kept.normalize_batch(texts) == built.normalize_batch(texts)
    assert [kept(t) for t in texts] == [built(t) for t in texts]

"""``compile_all`` (regexes kept between processes) gives ``re.compile``'s patterns.

A pattern built from the kept code compares equal to ``re.compile``'s (Pattern
``==`` compares the pattern, the flags and the compiled code), with the same
groups and names, and matches alike; a kept file that is refused or broken is
compiled again; short pattern sets are not kept at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core import regex_cache
from roomwatch.core.asks import AskCues
from roomwatch.core.normalize import Normalizer
from roomwatch.core.prepared import read_arrays, write_arrays
from roomwatch.core.regex_cache import KEEP_FROM, compile_all

ROOT = Path(__file__).resolve().parents[2]
_FILLER = "(?:" + "|".join(f"w{i:04d}" for i in range(KEEP_FROM // 6)) + ")"
_SMALL = [
    r"(?P<name>[a-z]+)\s*=\s*(?P<value>\d+)",
    r"(.)\1{3,}",
    r"(?<![\d.])(\d{1,3})\s*[#＃](?:链接|连接)?",
    r"(?i)hello|(?s:a.b)|(?x: x  y )",
    r"[^\w,!?;:，。！？；：、…()\[\]（）【】\"'“”‘’]{0,3}",
    r"^(?:a|b)*?c$|(?=x)(?!y)z",
    "\U0001f600+|[\u2600-\u27bf]",
]
_TEXTS = ["name = 42", "哈哈哈哈哈", "3#链接", "HELLO a\nb xy", "傻 逼", "😀😀 ☀", "aabc", "xz"]


def _alike(got: re.Pattern[str], want: re.Pattern[str]) -> None:
    assert got == want  # same pattern, flags and code
    assert (got.groups, got.groupindex, got.flags) == (want.groups, want.groupindex, want.flags)
    for text in _TEXTS:
        a, b = got.search(text), want.search(text)
        assert (a and (a.span(), a.groups(), a.groupdict(), a.lastgroup)) == (
            b and (b.span(), b.groups(), b.groupdict(), b.lastgroup)
        )
        assert got.sub("-", text) == want.sub("-", text)


def _kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("roomwatch-regex-*.npz"))


def test_kept_patterns_are_re_compiles(tmp_path: Path) -> None:
    patterns = [*_SMALL, _FILLER + r"(?P<tail>\d)?"]
    first = compile_all(patterns, tmp_path)  # compiled, and kept
    assert len(_kept(tmp_path)) == 1
    again = compile_all(patterns, tmp_path)  # from the kept code
    for got, pattern in zip([*first, *again], patterns * 2, strict=True):
        _alike(got, re.compile(pattern))


def test_the_lexicons_big_regexes(tmp_path: Path) -> None:
    norm = Normalizer.from_dir(ROOT / "lexicons")
    patterns = [p.pattern for p in (norm._cjk_re, norm._ascii_re) if p is not None]
    assert sum(map(len, patterns)) >= KEEP_FROM  # (else this would test nothing)
    compile_all(patterns, tmp_path)
    for got, pattern in zip(compile_all(patterns, tmp_path), patterns, strict=True):
        _alike(got, re.compile(pattern))
    # The question cues' alternations, kept in the temp folder by AskCues itself.
    cues = AskCues.from_file(ROOT / "lexicons" / "asks.tsv")
    for _ in range(2):
        for got in (cues._ask, cues._rhetoric, cues._anchor, cues._remark, cues._topic, cues._sure):
            assert got is not None
            _alike(got, re.compile(got.pattern))
        cues = AskCues.from_file(ROOT / "lexicons" / "asks.tsv")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_SMALL), min_size=1, max_size=5))
def test_any_mix(tmp_path_factory: pytest.TempPathFactory, picked: list[str]) -> None:
    folder = tmp_path_factory.mktemp("re")
    patterns = [*picked, _FILLER]
    compile_all(patterns, folder)
    for got, pattern in zip(compile_all(patterns, folder), patterns, strict=True):
        _alike(got, re.compile(pattern))


def test_short_sets_are_not_kept(tmp_path: Path) -> None:
    for got, pattern in zip(compile_all(_SMALL, tmp_path), _SMALL, strict=True):
        _alike(got, re.compile(pattern))
    assert _kept(tmp_path) == []


def test_a_broken_kept_file_is_compiled_again(tmp_path: Path) -> None:
    patterns = [_FILLER, r"(a)(b)"]
    compile_all(patterns, tmp_path)
    (path,) = _kept(tmp_path)
    arrays = read_arrays(path)
    assert arrays is not None
    arrays = dict(arrays)
    arrays["code1"] = np.array([1, 2, 3], dtype=np.uint32)  # code the matcher refuses
    write_arrays(path, arrays)
    for got, pattern in zip(compile_all(patterns, tmp_path), patterns, strict=True):
        _alike(got, re.compile(pattern))
    del arrays["meta"]
    write_arrays(path, arrays)
    for got, pattern in zip(compile_all(patterns, tmp_path), patterns, strict=True):
        _alike(got, re.compile(pattern))


def test_a_bad_pattern_is_re_error(tmp_path: Path) -> None:
    with pytest.raises(re.error):
        compile_all([_FILLER, "(unclosed"], tmp_path)
    assert _kept(tmp_path) == []


def test_without_re_internals_it_is_re_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def changed(sre: object, pattern: str) -> None:
        raise TypeError("compile() takes 5 arguments")  # as if _sre.compile changed

    monkeypatch.setattr(regex_cache, "_build", changed)
    patterns = [_FILLER, r"(a)(b)"]
    for got, pattern in zip(compile_all(patterns, tmp_path), patterns, strict=True):
        _alike(got, re.compile(pattern))
    assert _kept(tmp_path) == []
    with pytest.raises(re.error):
        compile_all([_FILLER, "(unclosed"], tmp_path)

"""``replay --out``'s writer puts UTF-8 bytes straight into a UTF-8 file's buffer,
and the file holds exactly what the text path writes (verdicts and skip lines,
in order, after anything written as text before)."""

from __future__ import annotations

import io
import math
from pathlib import Path

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment, User
from roomwatch.core.result import Skipped
from roomwatch.core.verdict import Verdict
from roomwatch.offline import _VerdictWriter, utf8_buffer

LABELS = ("chatter", "question", "grievance", "abuse", "spam")


def _verdict(text: str, i: int, **kw: float) -> Verdict:
    comment = Comment(
        room="r1", text=text, ts=kw.get("ts", 1733456789.0 + i), id=f"m{i}", user=User("u", "名", 3)
    )
    scores = dict(zip(LABELS, (0.9, 0.05, 0.03, 0.01, kw.get("spam", 0.01)), strict=True))
    return Verdict(comment, Normalized(text, ()), (text,), "chatter", scores, 0.25, ("r",), "m1")


def _results() -> list[object]:
    return [
        _verdict("主播好 😀", 0),
        Skipped("duplicate", "duplicate id 'm0'", "replay", comment=_verdict("x", 0).comment),
        _verdict('引号" 反斜杠\\ \u2028', 1),
        _verdict("tiny ts", 2, ts=1e-05),
        _verdict("nan", 3, spam=math.nan),
        Skipped("not_json", "the record is not valid JSON", "replay", "f.jsonl:9"),
    ]


def test_a_utf8_file_gets_the_bytes_the_text_path_writes(tmp_path: Path) -> None:
    results = _results()
    text_fh = io.StringIO()  # no byte buffer: the text path
    assert utf8_buffer(text_fh) is None
    as_text = _VerdictWriter(text_fh)
    as_text(results)
    as_text(results[:2])
    path = tmp_path / "out.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        assert utf8_buffer(fh) is fh.buffer
        fh.write("first, as text\n")
        as_bytes = _VerdictWriter(fh)
        as_bytes(results)
        as_bytes(results[:2])
    assert path.read_text(encoding="utf-8") == "first, as text\n" + text_fh.getvalue()
    assert as_bytes.labels == as_text.labels and as_bytes.skipped == as_text.skipped
    assert text_fh.getvalue().count("\n") == 8


def test_files_that_are_not_plain_utf8_keep_the_text_path(tmp_path: Path) -> None:
    for kwargs in ({"encoding": "latin-1"}, {"encoding": "utf-8", "errors": "replace"}):
        with (tmp_path / "x.txt").open("w", **kwargs) as fh:  # type: ignore[call-overload]
            assert utf8_buffer(fh) is None
    with (tmp_path / "y.txt").open("w", encoding="UTF8") as fh:
        assert utf8_buffer(fh) is fh.buffer
    assert utf8_buffer(None) is None


def test_stdout_under_a_c_locale_gets_the_same_bytes(tmp_path: Path) -> None:
    # (stdout's error handler is surrogateescape under a C or POSIX locale)
    results = _results()
    text_fh = io.StringIO()
    _VerdictWriter(text_fh)(results)
    path = tmp_path / "out.jsonl"
    with path.open("w", encoding="utf-8", errors="surrogateescape") as fh:
        assert utf8_buffer(fh) is fh.buffer
        _VerdictWriter(fh)(results)
    assert path.read_text(encoding="utf-8") == text_fh.getvalue()
    # A line only json writes, with an escaped byte, comes out as the text layer writes it.
    odd = [_verdict("byte \udcff here", 9)]
    with path.open("w", encoding="utf-8", errors="surrogateescape") as fh:
        _VerdictWriter(fh)(odd)
    want = tmp_path / "want.jsonl"
    with want.open("w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(odd[0].to_json() + "\n")
    assert path.read_bytes() == want.read_bytes()


def test_batches_without_skips_write_what_result_by_result_writes(tmp_path: Path) -> None:
    # A batch without skips (the usual case) takes its lines and labels at once;
    # the same results one at a time go through the per-result loop with a skip.
    labels = ("question", "chatter", "question", "abuse", "chatter", "spam")
    verdicts = []
    for i, label in enumerate(labels):
        v = _verdict(f"第{i}条", i, spam=math.nan if i == 5 else 0.01)
        verdicts.append(
            Verdict(v.comment, v.normalized, v.tokens, label, v.scores, 0.25, v.reasons, "m1")
        )
    skip = Skipped("not_json", "the record is not valid JSON", "replay", "f.jsonl:9")
    for encoding in ("utf-8", "utf-16"):  # (the byte path and the text path)
        whole, single = tmp_path / f"whole-{encoding}", tmp_path / f"single-{encoding}"
        with whole.open("w", encoding=encoding) as fh:
            w = _VerdictWriter(fh)
            w(verdicts)
            w([skip])
        with single.open("w", encoding=encoding) as fh:
            one = _VerdictWriter(fh)
            for v in verdicts:
                one([skip, v])  # (a skip in the batch: the loop)
        lines = single.read_text(encoding=encoding).splitlines()
        assert whole.read_text(encoding=encoding).splitlines() == lines[1::2] + lines[:1]
        assert lines[1::2] == [v.to_json() for v in verdicts]
        assert list(w.labels.items()) == list(one.labels.items())
        assert list(w.labels.items()) == [
            ("question", 2),
            ("chatter", 2),
            ("abuse", 1),
            ("spam", 1),
        ]
    counted = _VerdictWriter(None)  # no file: counts only
    counted(verdicts)
    assert counted.labels == w.labels

"""Reading recordings back: plain, gzip, damaged, and importer files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from roomwatch.core.record import parse_json
from roomwatch.recordings import RecordingError, iter_lines, iter_records, sniff

DATA = Path(__file__).parents[1] / "data" / "importers"


def _lines(n: int) -> list[bytes]:
    return [
        json.dumps(
            {"room": "apples", "text": f"第{i}条 评论", "ts": 1764158400 + i, "id": f"m{i}"},
            ensure_ascii=False,
        ).encode()
        for i in range(n)
    ]


def _read(path: Path, **kwargs: object) -> tuple[list[tuple[int, bytes]], list[str]]:
    warnings: list[str] = []
    out = list(iter_lines(path, on_warning=warnings.append, **kwargs))  # type: ignore[arg-type]
    return out, warnings


def test_plain_jsonl_numbers_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    lines = _lines(3)
    path = tmp_path / "r.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + lines[0] + b"\r\n\n  \n" + lines[1] + b"\n" + lines[2] + b"\n"
    )
    out, warnings = _read(path)
    assert out == [(1, lines[0]), (4, lines[1]), (5, lines[2])]
    assert warnings == []
    assert parse_json(out[0][1], received_at=0).text == "第0条 评论"


def test_gzip_and_plain_give_the_same_lines(tmp_path: Path) -> None:
    lines = _lines(5000)
    data = b"\n".join(lines) + b"\n"
    (tmp_path / "r.jsonl").write_bytes(data)
    (tmp_path / "r.jsonl.gz").write_bytes(gzip.compress(data))
    plain, w1 = _read(tmp_path / "r.jsonl")
    packed, w2 = _read(tmp_path / "r.jsonl.gz")
    assert plain == packed
    assert [line for _, line in plain] == lines
    assert w1 == w2 == []


def test_concatenated_gzip_members_are_read_in_order(tmp_path: Path) -> None:
    lines = _lines(10)
    first = b"\n".join(lines[:4]) + b"\n"
    second = b"\n".join(lines[4:]) + b"\n"
    path = tmp_path / "cat.jsonl.gz"
    # Two members, as `cat a.gz b.gz` makes, plus the zero padding some tools add.
    path.write_bytes(gzip.compress(first) + gzip.compress(second) + b"\x00" * 16)
    out, warnings = _read(path)
    assert [line for _, line in out] == lines
    assert [n for n, _ in out] == list(range(1, 11))
    assert warnings == []


def test_truncated_gzip_yields_what_decompresses_then_warns(tmp_path: Path) -> None:
    lines = _lines(20_000)
    packed = gzip.compress(b"\n".join(lines) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    out, warnings = _read(path)
    got = [line for _, line in out]
    assert 1000 < len(got) < len(lines)
    assert got == lines[: len(got)]  # an intact prefix
    assert any("cut.jsonl.gz" in w and "ends early" in w for w in warnings)
    # The line the cut went through is reported as incomplete, with its number.
    assert any(f"line {len(got) + 1} is incomplete" in w for w in warnings)


def test_partial_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    lines = _lines(3)
    path = tmp_path / "crash.jsonl"
    path.write_bytes(b"\n".join(lines) + b'\n{"room":"apples","te')
    out, warnings = _read(path)
    assert out == [(1, lines[0]), (2, lines[1]), (3, lines[2])]
    assert len(warnings) == 1
    assert str(path) in warnings[0] and "line 4" in warnings[0]


def test_partial_last_line_in_gzip_is_skipped_too(tmp_path: Path) -> None:
    lines = _lines(3)
    path = tmp_path / "crash.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b'\n{"room":"app'))
    out, warnings = _read(path)
    assert [line for _, line in out] == lines
    assert len(warnings) == 1 and "line 4" in warnings[0]


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    lines = _lines(2)
    path = tmp_path / "r.jsonl"
    path.write_bytes(lines[0] + b"\n" + lines[1])
    out, warnings = _read(path)
    assert out == [(1, lines[0]), (2, lines[1])]
    assert warnings == []


def test_bad_lines_in_the_middle_are_yielded_for_the_caller_to_reject(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"room":"a","text":"x"}\nnot json\n{"room":"a","text":"y"}\n')
    out, warnings = _read(path)
    assert [line for _, line in out] == [
        b'{"room":"a","text":"x"}',
        b"not json",
        b'{"room":"a","text":"y"}',
    ]
    assert warnings == []


def test_skipped_lines_are_counted_by_reason(tmp_path: Path) -> None:
    lines = _lines(2)
    path = tmp_path / "r.jsonl"
    path.write_bytes(lines[0] + b"\n" + b"x" * 5000 + b"\n" + lines[1] + b'\n{"room":"a')
    reasons: list[str] = []
    out = list(iter_lines(path, on_skip=reasons.append, max_line_bytes=1000))
    assert [n for n, _ in out] == [1, 3]
    assert reasons == ["too_long", "incomplete"]


def test_overlong_line_is_skipped_without_holding_it(tmp_path: Path) -> None:
    lines = _lines(2)
    path = tmp_path / "r.jsonl"
    path.write_bytes(lines[0] + b"\n" + b"x" * 5000 + b"\n" + lines[1] + b"\n")
    out, warnings = _read(path, max_line_bytes=1000)
    assert out == [(1, lines[0]), (3, lines[1])]
    assert len(warnings) == 1 and "line 2 is longer than 1000 bytes" in warnings[0]


def test_trailing_garbage_after_gzip_is_reported(tmp_path: Path) -> None:
    lines = _lines(3)
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n") + b"junk!")
    out, warnings = _read(path)
    assert [line for _, line in out] == lines
    assert len(warnings) == 1 and "not gzip" in warnings[0]


def test_missing_file_raises_recording_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"nope\.jsonl"):
        list(iter_lines(tmp_path / "nope.jsonl"))


def test_sniff_tells_the_formats_apart(tmp_path: Path) -> None:
    assert sniff(DATA / "bilibili.xml") == "bilibili-xml"
    assert sniff(DATA / "bililiverecorder.xml") == "bililiverecorder-xml"
    assert sniff(DATA / "comments.csv") == "csv"
    (tmp_path / "r.jsonl.gz").write_bytes(gzip.compress(b'{"room":"a","text":"x"}\n'))
    assert sniff(tmp_path / "r.jsonl.gz") == "jsonl"
    # Without a telling extension, the first bytes decide.
    (tmp_path / "noext").write_bytes(b'{"room":"a","text":"x"}\n')
    assert sniff(tmp_path / "noext") == "jsonl"
    (tmp_path / "danmaku.dat").write_bytes((DATA / "bililiverecorder.xml").read_bytes())
    assert sniff(tmp_path / "danmaku.dat") == "bililiverecorder-xml"
    (tmp_path / "mystery.bin").write_bytes(b"\x00\x01\x02")
    with pytest.raises(RecordingError, match="cannot tell the format"):
        sniff(tmp_path / "mystery.bin")


def test_iter_records_dispatches_to_lines_or_importers(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"room":"a","text":"x","ts":1}\n')
    assert list(iter_records(path)) == [(1, b'{"room":"a","text":"x","ts":1}')]

    xml = list(iter_records(DATA / "bililiverecorder.xml", room="county-apples"))
    assert xml and all(isinstance(rec, dict) for _, rec in xml)
    first = xml[0][1]
    assert isinstance(first, dict)
    assert first["room"] == "county-apples" and first["text"] == "苹果什么时候发货？"

    rows = list(
        iter_records(
            DATA / "comments.csv",
            room="r1",
            csv_options={"delimiter": ";", "ts": "时间", "text": "内容", "kind": "类型"},
        )
    )
    assert [rec["text"] for _, rec in rows if isinstance(rec, dict)][:2] == [
        "3号链接多少钱",
        '有分号; 也有"引号"',
    ]
    tsv = tmp_path / "r.tsv"
    tsv.write_text("text\tts\n一, 二\t1764158400\n", encoding="utf-8")
    assert [rec for _, rec in iter_records(tsv, room="r")] == [
        {"room": "r", "text": "一, 二", "ts": 1764158400.0, "kind": "comment"}
    ]
    with pytest.raises(RecordingError, match="bad CSV option"):
        list(iter_records(DATA / "comments.csv", room="r1", csv_options={"colour": "x"}))

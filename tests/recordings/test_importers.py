"""Importers on hand-written sample files (tests/data/importers/)."""

from __future__ import annotations

import argparse
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from roomwatch.core.record import Comment
from roomwatch.recordings import RecordingError, iter_lines
from roomwatch.recordings.cli import add_parser
from roomwatch.recordings.importers import MAX_DETAILED_WARNINGS, CsvOptions, import_file

DATA = Path(__file__).parents[1] / "data" / "importers"
# 2025-11-26 20:00:00 in Asia/Shanghai.
EIGHT_PM = 1764158400.0


def _import(
    kind: str, name: str | Path, /, **kwargs: Any
) -> tuple[list[dict[str, Any]], list[str]]:
    warnings: list[str] = []
    path = name if isinstance(name, Path) else DATA / name
    records = list(import_file(kind, path, on_warning=warnings.append, **kwargs))
    for record in records:  # every record must be valid as it stands
        assert Comment.from_dict(record, received_at=0).to_dict() == record
    return records, warnings


# --------------------------------------------------------------------------- Bilibili XML


def test_bilibili_xml_maps_d_elements() -> None:
    records, warnings = _import("bilibili-xml", "bilibili.xml")
    assert [r["text"] for r in records] == ["3号链接多少钱", "主播好 & 晚上好", "苹果甜不甜？"]
    first = records[0]
    assert first == {
        "room": "144541892",  # from <chatid>
        "text": "3号链接多少钱",
        "ts": EIGHT_PM,  # unix_ts as is; the video position 12.5 s is not added
        "id": "41000000000000001",
        "user": {"id": "a16fe0dd"},
        "kind": "comment",
        "platform": "bilibili",
    }
    # Four malformed <d>: too few p fields, a bad time, no p, blank text.
    assert len(warnings) == 4
    assert "line 12" in warnings[0] and "5 fields" in warnings[0]
    assert "line 13" in warnings[1] and "not-a-time" in warnings[1]
    assert "line 14" in warnings[2] and "no 'p'" in warnings[2]
    assert "line 15" in warnings[3] and "blank" in warnings[3]


def test_bilibili_xml_room_option_wins_over_chatid() -> None:
    records, _ = _import("bilibili-xml", "bilibili.xml", room="county-apples")
    assert {r["room"] for r in records} == {"county-apples"}


def test_bilibili_xml_positioned_and_code_danmaku(tmp_path: Path) -> None:
    path = tmp_path / "modes.xml"
    positioned = json.dumps([10, 20, "1-1", 4.5, "定位弹幕文字", 0, 0, 10, 20, 500, 0])
    path.write_text(
        "<i><chatid>9</chatid>"
        f'<d p="1,7,25,0,1764158400,0,u,1">{positioned}</d>'
        '<d p="2,8,25,0,1764158401,0,u,2">Player.seek(0);</d></i>',
        encoding="utf-8",
    )
    records, warnings = _import("bilibili-xml", path)
    assert [r["text"] for r in records] == ["定位弹幕文字"]
    assert len(warnings) == 1 and "mode 8" in warnings[0]


def test_bilibili_xml_without_any_room_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "d.xml"
    path.write_text('<i><d p="1,1,25,0,1764158400,0,ab,1">hi</d></i>', encoding="utf-8")
    with pytest.raises(RecordingError, match="no room"):
        _import("bilibili-xml", path)


# --------------------------------------------------------------------------- BililiveRecorder


def test_bililiverecorder_maps_comments_superchats_gifts_and_guards() -> None:
    records, warnings = _import("bililiverecorder-xml", "bililiverecorder.xml")
    start = EIGHT_PM + 0.5  # start_time="2025-11-26T20:00:00.5000000+08:00"
    got = [(r["kind"], r["text"], r["ts"], r.get("amount"), r.get("user")) for r in records]
    assert got == [
        ("comment", "苹果什么时候发货？", start + 1.25, None, {"id": "1001", "name": "小李"}),
        # No uid attribute: the uid comes from p[6].
        ("comment", "这个价格合适", start + 2.0, None, {"id": "1002", "name": "王阿姨"}),
        (
            "superchat",
            "上次买的苹果坏了一半，怎么售后？",
            start + 5.5,
            30.0,
            {"id": "1003", "name": "老张"},
        ),
        ("gift", "辣条 x3", start + 7.125, None, {"id": "1001", "name": "小李"}),
        ("gift", "小心心 x2", start + 8.0, 0.0, {"id": "1004", "name": "阿明"}),
        ("gift", "牛哇牛哇 x5", start + 9.0, 0.5, {"id": "1004", "name": "阿明"}),
        ("gift", "舰长 x1", start + 10.0, 198.0, {"id": "1003", "name": "老张"}),
        ("gift", "提督 x1", start + 11.0, None, {"id": "1005", "name": "大户"}),
        ("comment", "最后一条", start + 20.0, None, {"name": "路人"}),
    ]
    assert {r["room"] for r in records} == {"21452505"}
    assert {r["platform"] for r in records} == {"bilibili"}
    # The <d> inside the embedded stylesheet is not a comment.
    assert "not a comment" not in {r["text"] for r in records}
    assert len(warnings) == 4
    assert "line 28: <sc>: price '三十' is not a number" in warnings[0]
    assert "giftcount 'many'" in warnings[1]
    assert "'p' has 3 fields" in warnings[2]
    assert "no giftname" in warnings[3]


def test_bililiverecorder_cut_short_yields_the_complete_elements() -> None:
    records, warnings = _import("bililiverecorder-xml", "bililiverecorder-cut.xml", room="r")
    assert [r["text"] for r in records] == ["第一条", "第二条"]
    assert [r["ts"] for r in records] == [EIGHT_PM + 1, EIGHT_PM + 2]
    assert len(warnings) == 1 and "cut short" in warnings[0] and "line 8" in warnings[0]


def test_bililiverecorder_without_start_time_falls_back_to_send_time(tmp_path: Path) -> None:
    path = tmp_path / "old.xml"
    path.write_text(
        '<i><BililiveRecorder version="1"/><BililiveRecorderRecordInfo roomid="7"/>'
        '<d p="3.0,1,25,0,1764158401750,0,9,0" user="a">有发送时间</d>'
        '<d p="4.0,1,25,0,0,0,9,0" user="a">没有时间</d>'
        '<sc ts="5" user="b" price="30">无法定位</sc></i>',
        encoding="utf-8",
    )
    records, warnings = _import("bililiverecorder-xml", path)
    assert [(r["text"], r["ts"], r["room"]) for r in records] == [
        ("有发送时间", 1764158401.75, "7")
    ]
    assert len(warnings) == 3
    assert "start_time None" in warnings[0]


def test_gzip_compressed_xml_is_read(tmp_path: Path) -> None:
    path = tmp_path / "danmaku.xml.gz"
    path.write_bytes(gzip.compress((DATA / "bililiverecorder.xml").read_bytes()))
    records, _ = _import("bililiverecorder-xml", path)
    assert len(records) == 9


def test_many_malformed_elements_are_summarised(tmp_path: Path) -> None:
    bad = "".join(f'<d p="{i}">坏</d>' for i in range(50))
    path = tmp_path / "bad.xml"
    path.write_text(f'<i><chatid>5</chatid>{bad}<d p="1,1,25,0,9,0,u,1">好</d></i>', "utf-8")
    records, warnings = _import("bilibili-xml", path)
    assert [r["text"] for r in records] == ["好"]
    assert len(warnings) == MAX_DETAILED_WARNINGS + 1
    assert "50 malformed items skipped in all (50 bad_p)" in warnings[-1]


@pytest.mark.parametrize(
    "doc",
    [
        # billion laughs
        '<?xml version="1.0"?><!DOCTYPE i [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<i><chatid>1</chatid><d p="1,1,25,0,9,0,u,1">&b;</d></i>',
        # external entity
        '<?xml version="1.0"?><!DOCTYPE i [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<i><chatid>1</chatid><d p="1,1,25,0,9,0,u,1">&x;</d></i>',
        # a bare DOCTYPE
        '<!DOCTYPE i SYSTEM "http://example.invalid/x.dtd"><i></i>',
    ],
)
def test_document_type_declarations_are_refused(tmp_path: Path, doc: str) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(RecordingError, match="document type declaration"):
        _import("bilibili-xml", path)


# --------------------------------------------------------------------------- CSV

_CN_COLUMNS = {
    "delimiter": ";",
    "ts": "时间",
    "text": "内容",
    "user_id": "用户ID",
    "user_name": "昵称",
    "kind": "类型",
    "amount": "金额",
    "id": "消息ID",
}


def test_csv_with_renamed_columns_and_shanghai_times() -> None:
    records, warnings = _import("csv", "comments.csv", room="r1", **_CN_COLUMNS)
    assert [(r["text"], r["ts"], r["kind"], r.get("amount"), r["id"]) for r in records] == [
        ("3号链接多少钱", EIGHT_PM + 1, "comment", None, "m1"),
        ('有分号; 也有"引号"', EIGHT_PM + 2.5, "comment", None, "m2"),
        ("感谢老板", EIGHT_PM + 3, "superchat", 30.0, "m3"),  # explicit +00:00 kept
        ("多行\n评论", EIGHT_PM + 8, "comment", None, "m8"),
    ]
    assert records[0]["user"] == {"id": "u1", "name": "小李"}
    assert {r["room"] for r in records} == {"r1"}
    assert len(warnings) == 4
    assert "line 5" in warnings[0] and "'昨天'" in warnings[0]
    assert "line 6" in warnings[1] and "'很多'" in warnings[1]
    assert "line 7" in warnings[2] and "blank" in warnings[2]
    assert "line 8" in warnings[3] and "'shout'" in warnings[3]


def test_csv_timezone_and_epoch_formats(tmp_path: Path) -> None:
    from datetime import UTC

    records, _ = _import(
        "csv", "comments.csv", room="r1", csv_options=CsvOptions(tz=UTC, **_CN_COLUMNS)
    )
    assert records[0]["ts"] == EIGHT_PM + 1 + 8 * 3600  # naive times now read as UTC
    records, warnings = _import("csv", "epoch.csv")
    assert [(r["room"], r["ts"]) for r in records] == [
        ("room-a", EIGHT_PM),
        ("room-b", EIGHT_PM + 1.5),  # auto: milliseconds
    ]
    path = tmp_path / "ms.csv"
    path.write_text("ts\ttext\n1764158400250\thi\n", encoding="utf-8")
    records, _ = _import("csv", path, room="r", delimiter="\t", ts_format="epoch_ms")
    assert records[0]["ts"] == EIGHT_PM + 0.25
    records, warnings = _import("csv", path, room="r", delimiter="\t", ts_format="iso")
    assert records == [] and "is not a time (ts format iso)" in warnings[0]


def test_csv_without_text_column_or_room_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("ts,body\n1,hi\n", encoding="utf-8")
    with pytest.raises(RecordingError, match="no 'text' column"):
        _import("csv", path, room="r")
    with pytest.raises(RecordingError, match="no room"):
        _import("csv", path, text="body")
    with pytest.raises(RecordingError, match="ts_format"):
        CsvOptions(ts_format="julian")


def test_csv_without_a_ts_column_is_an_error_not_every_row_skipped(tmp_path: Path) -> None:
    # A spreadsheet export whose time column has another name: every row used
    # to be skipped one warning at a time ("has no ts"), and replay then said
    # "0 records: 0 verdicts, 0 skipped".
    path = tmp_path / "export.csv"
    path.write_text("when,who,text\n12,alice,多少钱\n16,dave,几号链接\n", encoding="utf-8")
    with pytest.raises(RecordingError, match=r"no 'ts' column \(columns: when, who, text\)"):
        _import("csv", path, room="r")
    records, warnings = _import("csv", path, room="r", ts="when")
    assert [r["text"] for r in records] == ["多少钱", "几号链接"] and warnings == []


def test_every_skipped_row_is_counted_past_the_detailed_warnings(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    rows = [f"x{i},坏" for i in range(MAX_DETAILED_WARNINGS + 5)] + ["1,好", "2,"]
    path.write_text("ts,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    reasons: list[str] = []
    records = list(import_file("csv", path, room="r", on_skip=reasons.append))
    assert [r["text"] for r in records] == ["好"]
    assert reasons.count("bad_ts") == MAX_DETAILED_WARNINGS + 5
    assert reasons.count("bad_value") == 1 and len(reasons) == MAX_DETAILED_WARNINGS + 6


# --------------------------------------------------------------------------- CLI


def _cli(argv: list[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="roomwatch")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    code = args.func(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_writes_jsonl_to_stdout() -> None:
    code, out, err = _cli(["import", "bililiverecorder-xml", str(DATA / "bililiverecorder.xml")])
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 9 and rows[2]["kind"] == "superchat"
    assert "9 records imported" in err and "price '三十'" in err


def test_cli_writes_a_file_replay_can_read(tmp_path: Path) -> None:
    out_path = tmp_path / "out" / "rec.jsonl.gz"
    code, out, _ = _cli(
        [
            "import",
            "csv",
            str(DATA / "comments.csv"),
            "--room",
            "r1",
            "--out",
            str(out_path),
            "--delimiter",
            ";",
            "--tz",
            "Asia/Shanghai",
            *[f"--column={k}={v}" for k, v in _CN_COLUMNS.items() if k != "delimiter"],
        ]
    )
    assert code == 0 and out == ""
    lines = [line for _, line in iter_lines(out_path)]
    assert json.loads(lines[0])["text"] == "3号链接多少钱"
    assert len(lines) == 4
    assert list(out_path.parent.iterdir()) == [out_path]  # no temporary file left


def test_cli_reports_bad_input(tmp_path: Path) -> None:
    code, _, err = _cli(["import", "csv", str(tmp_path / "missing.csv"), "--room", "r"])
    assert code == 2 and "cannot open" in err
    code, _, err = _cli(["import", "csv", str(DATA / "epoch.csv"), "--column", "colour=x"])
    assert code == 2 and "--column" in err
    empty = tmp_path / "empty.xml"
    empty.write_text("<i></i>", encoding="utf-8")
    code, _, err = _cli(["import", "bilibili-xml", str(empty), "--room", "r"])
    assert code == 1 and "0 records imported" in err
    bad_rows = tmp_path / "rows.csv"
    bad_rows.write_text("ts,text\n1,好\nx,坏\n2,\n", encoding="utf-8")
    code, _, err = _cli(["import", "csv", str(bad_rows), "--room", "r"])
    assert code == 0
    assert "1 records imported; 2 skipped (1 bad_ts, 1 bad_value)" in err


def test_a_spreadsheet_export_is_read_as_it_comes(tmp_path: Path) -> None:
    # Excel on Chinese Windows saves CSV as GBK, with its own column names and
    # slashed dates: every text used to come out as U+FFFD, silently.
    text = "时间,用户,内容\n2025/11/26 20:00:05,小李,3号链接多少钱\n2025/11/26,小王,包邮吗\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("gbk"))
    records, warnings = _import("csv", path, room="r")
    assert [r["text"] for r in records] == ["3号链接多少钱", "包邮吗"]
    assert records[0]["ts"] == EIGHT_PM + 5 and records[0]["user"] == {"name": "小李"}
    assert any("GB18030" in w for w in warnings)
    assert any("'内容' as text" in w and "'时间' as ts" in w for w in warnings)
    # A column named on purpose wins over the guess; UTF-8 is not second-guessed.
    path.write_text("ts,内容,content\n1,甲,乙\n", encoding="utf-8")
    records, warnings = _import("csv", path, room="r", text="内容")
    assert [r["text"] for r in records] == ["甲"] and warnings == []

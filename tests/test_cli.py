"""The command line, run as a real subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from .conftest import SAMPLES, read_recording

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: bytes = b"", timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "roomwatch", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_classify_plain_text_one_verdict_per_line_in_order() -> None:
    lines = [
        "3号链接多少钱",
        "",
        "主播好美啊啊啊啊",
        "你是傻逼吧",
        "加v 123456789 看主页",
        "拍了五天还不发货，客服也不回",
        "  ",
        "🍎🍎🍎",
        "x" * 300,
    ]
    result = run("classify", stdin=("\n".join(lines) + "\n").encode())
    assert result.returncode == 0, result.stderr.decode()
    out = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert [v["text"] for v in out] == lines
    assert out[0]["label"] == "question"
    assert out[3]["label"] == "abuse"
    assert out[4]["label"] == "spam"
    for v in out:
        assert set(v["scores"]) == {"question", "grievance", "abuse", "spam", "chatter"}
        assert abs(sum(v["scores"].values()) - 1) < 0.01
        assert -1 <= v["sentiment"] <= 1
        assert v["model"]


def test_classify_jsonl_marks_bad_records_in_place() -> None:
    rows = [
        json.dumps({"room": "r", "text": "包邮吗", "id": "a"}, ensure_ascii=False),
        "{nope",
        json.dumps({"room": "r"}),
        json.dumps({"room": "r", "text": "好好好", "id": "b"}, ensure_ascii=False),
    ]
    result = run("classify", "--jsonl", stdin=("\n".join(rows)).encode())
    assert result.returncode == 0, result.stderr.decode()
    out = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == "a" and out[3]["id"] == "b"
    assert out[1] == {"line": 2, "skipped": "not_json", "error": out[1]["error"]}
    assert out[2]["skipped"] == "missing_field" and "text" in out[2]["error"]


def test_classify_many_lines_keeps_order() -> None:
    texts = [f"{i}号链接多少钱" if i % 3 else f"第{i}条 哈哈哈" for i in range(5000)]
    result = run("classify", "--batch", "256", stdin=("\n".join(texts) + "\n").encode())
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode().splitlines()
    assert len(out) == 5000
    assert [json.loads(x)["text"] for x in out] == texts


def test_replay_out_one_line_per_input_in_order(tmp_path: Path) -> None:
    records = read_recording(SAMPLES / "mini.jsonl")
    rows = [json.dumps(r, ensure_ascii=False) for r in records]
    rows.insert(5, "{this is not json")
    rows.insert(9, rows[8])  # a duplicate id
    rec = tmp_path / "rec.jsonl"
    rec.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    result = run("replay", str(rec), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(rows)
    assert lines[5]["skipped"] == "not_json"
    assert lines[9]["skipped"] == "duplicate"
    ids = [x.get("id") for i, x in enumerate(lines) if i not in (5, 9)]
    assert ids == [r.get("id") for r in records]
    first = lines[0]
    assert {"id", "room", "ts", "text", "label", "scores", "sentiment", "model"} <= set(first)
    assert b"replayed" in result.stdout


def test_replay_and_report_count_the_lines_they_could_not_read(tmp_path: Path) -> None:
    # Rows an importer drops never become records; the summary used to leave
    # them out ("replayed 1 records: 1 verdicts, 0 skipped" after 2 warnings).
    export = tmp_path / "export.csv"
    export.write_text("ts,text\n1,3号链接多少钱\nx,坏时间\n2,\n", encoding="utf-8")
    result = run("replay", str(export), "--room", "r1", "--out", str(tmp_path / "v.jsonl"))
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "replayed 1 records: 1 verdicts, 0 skipped" in out
    assert "not read: 2 lines of the files (1 bad_ts, 1 bad_value)" in out
    html = tmp_path / "r.html"
    result = run("report", str(export), "--room", "r1", "--out", str(html))
    assert result.returncode == 0, result.stderr.decode()
    assert "1 records (0 skipped, 2 lines of the files not read)" in result.stdout.decode()
    assert "not read: bad_ts" in html.read_text(encoding="utf-8")
    # A header without the time column is one clear error, not a warning per row.
    export.write_text("when,text\n1,多少钱\n", encoding="utf-8")
    result = run("replay", str(export), "--room", "r1")
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "no 'ts' column (columns: when, text)" in err and err.count("no 'ts' column") == 1


def test_replay_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (a, b):
        result = run("replay", str(SAMPLES / "mini.jsonl"), "--out", str(out))
        assert result.returncode == 0, result.stderr.decode()
    assert a.read_bytes() == b.read_bytes()


def test_unknown_config_key_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[server]\nprot = 1\n", encoding="utf-8")
    result = run("replay", str(SAMPLES / "mini.jsonl"), "--config", str(cfg))
    assert result.returncode == 2
    assert b"server.prot" in result.stderr


def test_compare_reports_exactly_what_a_room_term_changes(tmp_path: Path) -> None:
    records = read_recording(SAMPLES / "mini.jsonl")
    room = records[0]["room"]
    extra = [
        {"room": room, "text": t, "id": f"x{i}", "ts": records[-1]["ts"] + i}
        for i, t in enumerate(
            ["大冤种主播又开始了", "这个大冤种主播", "大冤种主播 下播吧", "主播好"]
        )
    ]
    rec = tmp_path / "rec.jsonl"
    rec.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records + extra) + "\n",
        encoding="utf-8",
    )
    tweak = tmp_path / "tweak.toml"
    tweak.write_text(f'[rooms."{room}"]\nblock_abuse = ["大冤种主播"]\n', encoding="utf-8")

    # What each setting decides, record by record, from `classify`.
    def labels(*config: str) -> list[str]:
        result = run("classify", "--jsonl", *config, stdin=rec.read_bytes())
        assert result.returncode == 0, result.stderr.decode()
        return [json.loads(x)["label"] for x in result.stdout.decode().splitlines()]

    before, after = labels(), labels("--config", str(tweak))
    expected = Counter((a, b) for a, b in zip(before, after, strict=True) if a != b)
    assert expected, "the tweak should change something"

    result = run("replay", str(rec), "--compare", str(tweak))
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    n = sum(expected.values())
    assert f"{n} decisions differ" in out
    for (a, b), count in expected.items():
        assert re.search(rf"{a}\s+→\s+{b}\s+{count}\b", out), out
    assert "大冤种主播" in out


def test_a_bad_port_or_speed_is_a_usage_error_not_a_traceback() -> None:
    # A walkthrough got OverflowError from bind() for --port 99999, and a
    # negative --speed flooded the pipeline.
    for args, message in (
        (("serve", "--port", "99999"), "99999 is not a port (0 to 65535)"),
        (("gateway", "--port", "-1"), "-1 is not a port"),
        (("demo", "--speed", "-1"), "-1 is no speed"),
        (("replay", "--speed", "nan", "x.jsonl"), "nan is no speed"),
    ):
        done = run(*args, timeout=30)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr.decode(), (args, done.stderr)
        assert b"Traceback" not in done.stderr


def test_alert_evidence_never_counts_more_users_than_comments(tmp_path: Path) -> None:
    # A comms walkthrough read a negative spike as "18 条 … 用户数：21": its users
    # came from the whole window, its count from the last part that fired.
    alerts = tmp_path / "alerts.jsonl"
    done = run(
        "replay", str(ROOT / "samples" / "scenario-alerts.jsonl.gz"), "--alerts", str(alerts)
    )
    assert done.returncode == 0, done.stderr
    seen = 0
    for line in alerts.read_text(encoding="utf-8").splitlines():
        alert = json.loads(line)["alert"]
        if alert["detector"] in ("negative_spike", "grievance_topic"):
            evidence = alert["evidence"]
            assert evidence["users"] <= evidence["count"], alert["summary"]
            seen += 1
    assert seen >= 2

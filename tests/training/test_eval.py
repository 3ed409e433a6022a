"""Metrics by hand, and ``roomwatch eval`` on small files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from roomwatch.training.cli import add_parsers, parse_mapping, run_eval
from roomwatch.training.data import read_labelled
from roomwatch.training.metrics import evaluate

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers())
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_metrics_by_hand() -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", "c", "c"]
    report = evaluate(gold, pred, ("a", "b", "c"))
    a, b, c = report.per_label
    # a: tp 2, predicted 2, support 3
    assert (a.precision, a.recall) == (1.0, 2 / 3)
    assert a.f1 == pytest.approx(0.8)
    # b: tp 1, predicted 2, support 2
    assert (b.precision, b.recall, b.f1) == (0.5, 0.5, 0.5)
    # c: tp 1, predicted 2, support 1
    assert (c.precision, c.recall) == (0.5, 1.0)
    assert c.f1 == pytest.approx(2 / 3)
    assert report.accuracy == pytest.approx(4 / 6)
    assert report.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert report.confusion == ((2, 1, 0), (0, 1, 1), (0, 0, 1))
    assert "macro-F1" in report.format()


def test_metrics_reject_unknown_labels() -> None:
    with pytest.raises(ValueError):
        evaluate(["a"], ["z"], ("a", "b"))


def test_parse_mapping() -> None:
    assert parse_mapping(["offensive=abuse", "0="]) == {"offensive": "abuse", "0": ""}
    with pytest.raises(ValueError):
        parse_mapping(["oops"])


def test_read_labelled_formats(tmp_path: Path) -> None:
    csv_path = tmp_path / "x.csv"
    csv_path.write_text("TEXT,label\n你好,0\n傻逼,1\n", encoding="utf-8-sig")
    assert read_labelled(csv_path, "TEXT", "label", {"1": "abuse"}) == [
        ("你好", "0"),
        ("傻逼", "abuse"),
    ]
    tsv_path = tmp_path / "x.tsv"
    tsv_path.write_text("t\tl\n你好\tchatter\n", encoding="utf-8")
    assert read_labelled(tsv_path, "t", "l") == [("你好", "chatter")]
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text('{"text": "a", "label": "spam"}\n{"text": "b", "label": "x"}\n')
    assert read_labelled(jsonl, "text", "label", {"x": ""}) == [("a", "spam")]


def test_eval_binary_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "cold_like.csv"
    rows = ["傻逼主播滚,1", "你妈死了,1", "这个多少钱,0", "主播好美,0", "收到了很好吃,0"]
    data.write_text("TEXT,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "m.json"
    code = run(
        [
            "eval", str(data), "--text-col", "TEXT", "--label-col", "label",
            "--map", "1=abuse", "--map", "0=safe", "--binary", "abuse",
            "--models", str(ROOT / "models"), "--lexicons", str(ROOT / "lexicons"),
            "--json", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads(out.read_text(encoding="utf-8"))
    assert metrics["labels"] == ["abuse", "not-abuse"]
    assert metrics["total"] == 5
    assert metrics["accuracy"] == 1.0
    assert metrics["confusion"] == [[2, 0], [0, 3]]
    assert "macro-F1" in capsys.readouterr().out


def test_eval_needs_model_labels(tmp_path: Path) -> None:
    data = tmp_path / "x.jsonl"
    data.write_text('{"text": "a", "label": "offensive"}\n', encoding="utf-8")
    with pytest.raises(ValueError):
        run_eval([("a", "offensive")], ROOT / "models", ROOT / "lexicons")
    assert run(["eval", str(data), "--models", str(ROOT / "models")]) == 1

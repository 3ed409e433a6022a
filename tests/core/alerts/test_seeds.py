"""The alert word lists in lexicons/alerts/ and how they are read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from roomwatch.core.alerts import DEFAULT_TOPIC_SEEDS, DEFAULT_WATCH_TERMS, AlertConfig
from roomwatch.core.alerts.seeds import (
    STOPWORDS,
    lexicon_dir,
    read_stopwords,
    read_topic_seeds,
    read_watch_terms,
)
from roomwatch.core.analyze import hash_dir
from roomwatch.core.errors import ModelError

from ...conftest import ROOT


def test_the_bundled_lists_are_the_config_defaults_in_file_order() -> None:
    assert lexicon_dir() == ROOT / "lexicons" / "alerts"
    assert list(DEFAULT_TOPIC_SEEDS) == [
        "质量问题",
        "食品安全",
        "退款售后",
        "物流发货",
        "拖欠工资",
        "虚假宣传",
    ]
    assert DEFAULT_TOPIC_SEEDS["物流发货"] == (
        "没发货",
        "不发货",
        "快递",
        "物流",
        "催发货",
        "还没到",
        "破损",
        "丢件",
    )
    assert DEFAULT_WATCH_TERMS == ("12315", "曝光", "维权", "投诉", "食品安全", "过敏")
    assert {"的", "主播", "家人们"} <= STOPWORDS and "发霉" not in STOPWORDS
    config = AlertConfig()
    assert config.topic_seeds == DEFAULT_TOPIC_SEEDS
    assert config.watch_terms == DEFAULT_WATCH_TERMS


def test_readers_skip_comments_and_name_bad_lines(tmp_path: Path) -> None:
    topics = tmp_path / "topics.tsv"
    topics.write_text("# topic<TAB>term\n\nB\tb1\nA\ta1\nB\tb2\n", encoding="utf-8")
    assert dict(read_topic_seeds(topics)) == {"B": ("b1", "b2"), "A": ("a1",)}
    watch = tmp_path / "watch.txt"
    watch.write_text("# list\nz\n\na\n", encoding="utf-8")
    assert read_watch_terms(watch) == ("z", "a")
    assert read_stopwords(watch) == frozenset({"z", "a"})
    topics.write_text("A\ta1\nno tab here\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"topics\.tsv:2: expected topic<TAB>term"):
        read_topic_seeds(topics)
    with pytest.raises(ModelError, match="cannot read alert lexicon"):
        read_watch_terms(tmp_path / "missing.txt")


def test_the_verdicts_lexicon_hash_leaves_the_alert_lists_out(tmp_path: Path) -> None:
    copy = tmp_path / "lexicons"
    shutil.copytree(ROOT / "lexicons", copy)
    before = hash_dir(copy)
    (copy / "alerts" / "watch.txt").write_text("召回\n", encoding="utf-8")
    assert hash_dir(copy) == before
    (copy / "terms" / "allow.txt").write_text("草莓\n", encoding="utf-8")
    assert hash_dir(copy) != before

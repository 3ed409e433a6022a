"""The target mask: the abuse head learns what is said, not whom it names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from roomwatch.core.classify import LABELS, load_artifacts
from roomwatch.core.features import FeatureSpec, Featurizer
from roomwatch.training.config import TrainConfig
from roomwatch.training.targetmask import gram_texts, mask_targets, target_only, target_regex
from roomwatch.training.train import train

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "lexicons"
TINY = Path(__file__).parent / "data" / "tiny_corpus.jsonl"


def test_group_sections_leave_pronouns_and_room_words() -> None:
    every = target_regex(LEXICONS / "targets.txt")
    groups = target_regex(LEXICONS / "targets.txt", "groups")
    assert every is not None and groups is not None
    text = "主播你看这女的是河南人"
    assert [m.group(0) for m in every.finditer(text)] == ["主播", "你", "女的", "是河南人"]
    assert [m.group(0) for m in groups.finditer(text)] == ["女的", "是河南人"]
    named = target_regex(LEXICONS / "targets.txt", "named")
    assert named is not None
    assert [m.group(0) for m in named.finditer(text)] == ["女的", "河南"]


def test_mask_removes_only_grams_inside_a_target() -> None:
    chars = ["女", "的", "女的", "骗", "子", "骗子", "\x02女"]
    feat = Featurizer(chars, ["女的", "骗子"], FeatureSpec((1, 2), (1, 1)))
    texts = ["女的骗子", "骗子"]
    tokens = [("女的", "骗子"), ("骗子",)]
    x = feat.transform(texts, tokens, [(), ()])
    grams = gram_texts(feat)
    rx = target_regex(LEXICONS / "targets.txt", "groups")
    assert rx is not None
    masked, rows, entries = mask_targets(x, texts, grams, rx)
    names = {feat.name(j): j for j in range(len(grams))}
    inside = ("女", "的", "女的", "\x02女")
    assert rows == 1 and entries == len(inside) + 1  # + the word unigram 女的
    first = masked[0].toarray().ravel()
    for gram in inside:
        assert first[names[gram]] == 0.0
    assert first[names["骗子"]] == x[0, names["骗子"]] > 0
    assert (masked[1].toarray() == x[1].toarray()).all()  # no target: untouched
    half, _, _ = mask_targets(x, texts, grams, rx, weight=0.5)
    assert half[0, names["女的"]] == pytest.approx(0.5 * x[0, names["女的"]])


def test_bad_mask_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="target_mask"):
        TrainConfig(lexicons=LEXICONS, out=tmp_path, target_mask="all")


def _abuse_weight(out: Path, gram: str) -> float:
    art = load_artifacts(out)
    names = list(art.chars) + list(art.words)
    return float(art.weights[names.index(gram), len(LABELS)])


@pytest.mark.parametrize("mask", ["off", "abuse"])
def test_masked_target_words_get_no_abuse_weight(tmp_path: Path, mask: str) -> None:
    extra = tmp_path / "groups.jsonl"
    rows = [
        {"text": "河南人都是骗子", "label": "abuse", "abuse": 1},
        {"text": "河南人就是没素质", "label": "abuse", "abuse": 1},
        {"text": "河南人滚出去", "label": "abuse", "abuse": 1},
        {"text": "今天天气真好", "label": "chatter", "abuse": 0},
    ]
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = tmp_path / "model"
    config = TrainConfig(
        lexicons=LEXICONS,
        out=out,
        corpus=(TINY, extra),
        min_df=1,
        target_mask=mask,
        version=f"mask-{mask}",
    )
    manifest = train(config, log=lambda _: None)
    weight = _abuse_weight(out, "河南")
    if mask == "off":
        assert weight > 0.0
        assert "target_mask" not in manifest["training"]  # older manifests rebuild exactly
    else:
        # Every occurrence of 河南 lies inside a target (河南人): it never reaches the fit.
        assert weight == 0.0
        assert manifest["training"]["target_mask"]["heads"] == "abuse"
        assert np.isfinite(_abuse_weight(out, "骗子"))


def test_target_only_rows_hold_just_the_matches() -> None:
    rx = target_regex(LEXICONS / "targets.txt", "named")
    assert rx is not None
    assert target_only(["河南的女的都这样", "今天天气真好", "黑 人"], rx) == ["河南 女的", "黑人"]


def test_target_negatives_push_a_named_group_away_from_abuse(tmp_path: Path) -> None:
    cold = tmp_path / "COLD"
    cold.mkdir()
    lines = ["id,split,topic,label,TEXT"]
    for i in range(40):  # written for this test: offensive about a region, safe about weather
        lines.append(f"{2 * i},train,region,1,河南人都是骗子{i}")
        lines.append(f"{2 * i + 1},train,region,0,今天天气真好{i}")
    (cold / "train.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    weights = {}
    for negatives in (0.0, 5.0):
        out = tmp_path / f"neg{negatives}"
        config = TrainConfig(
            lexicons=LEXICONS,
            out=out,
            corpus=(TINY,),
            cold=cold,
            min_df=1,
            target_negatives=negatives,
            target_mask_sections="named",
            version="neg",
        )
        manifest = train(config, log=lambda _: None)
        weights[negatives] = _abuse_weight(out, "河南")
    assert manifest["training"]["target_mask"]["negatives"] == 5.0
    assert weights[5.0] < weights[0.0]

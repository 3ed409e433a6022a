"""Tests for tools/gen_corpus.py (the generated live-room training corpus)."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "live"
LABELS = {"question", "grievance", "abuse", "spam", "chatter"}
Data = dict[str, list[Any]]
DOMAINS = {"beauty", "food", "fruit", "zhunong", "clothing", "electronics", "general"}


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "tools" / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gen_corpus"] = mod  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod


gen = _load()


@pytest.fixture(scope="module")
def data() -> Data:
    return gen.generate(1126)


def _bigrams(texts: list[str]) -> set[str]:
    return {t[i : i + 2] for t in texts for i in range(len(t) - 1)}


def test_same_seed_same_output(data: Data) -> None:
    again = gen.generate(1126)
    for name in ("train", "dev", "test", "test_evasion"):
        assert [r.to_dict() for r in again[name]] == [r.to_dict() for r in data[name]]


def test_other_seed_differs(data: Data) -> None:
    other = gen.generate(7, totals={label: 200 for label in gen.LABELS})
    assert [r.text for r in other["train"][:50]] != [r.text for r in data["train"][:50]]


def test_sizes_and_label_balance(data: Data) -> None:
    total = sum(len(data[s]) for s in gen.SPLITS)
    assert 14_000 <= total <= 16_000
    shares = {s: len(data[s]) / total for s in gen.SPLITS}
    assert 0.65 <= shares["train"] <= 0.75
    assert 0.12 <= shares["dev"] <= 0.18
    assert 0.12 <= shares["test"] <= 0.18
    for split in gen.SPLITS:
        counts = Counter(r.label for r in data[split])
        assert set(counts) == LABELS
        n = len(data[split])
        for label in LABELS:
            assert counts[label] / n >= 0.12, (split, label)
        assert counts["question"] >= counts["spam"]
        assert counts["chatter"] >= counts["abuse"]


def test_every_row_valid(data: Data) -> None:
    for name in ("train", "dev", "test", "test_evasion"):
        for r in data[name]:
            d = r.to_dict()
            assert set(d) == {"text", "label", "sentiment", "domain", "hard"}
            assert d["label"] in LABELS
            assert d["sentiment"] in (-1, 0, 1)
            assert d["domain"] in DOMAINS
            assert isinstance(d["hard"], bool)
            assert d["text"].strip() == d["text"] and d["text"]
            assert len(d["text"]) <= 60


def test_sentiment_axis(data: Data) -> None:
    rows = [r for s in gen.SPLITS for r in data[s]]
    assert all(r.sentiment == -1 for r in rows if r.label == "abuse")
    by = {lab: Counter(r.sentiment for r in rows if r.label == lab) for lab in LABELS}
    assert by["question"].most_common(1)[0][0] == 0
    assert by["grievance"].most_common(1)[0][0] == -1
    assert by["spam"].most_common(1)[0][0] == 0
    assert by["chatter"][1] > 0 and by["chatter"][-1] > 0 and by["chatter"][0] > 0


def test_no_text_overlap_between_splits(data: Data) -> None:
    texts = {s: [r.text for r in data[s]] for s in gen.SPLITS}
    for s in gen.SPLITS:
        assert len(texts[s]) == len(set(texts[s])), s
    assert not set(texts["train"]) & set(texts["dev"])
    assert not set(texts["train"]) & set(texts["test"])
    assert not set(texts["dev"]) & set(texts["test"])
    # also no near-duplicates (same text up to punctuation/emoji/spacing) across splits
    keys = {s: {gen.norm_key(t) for t in texts[s]} for s in gen.SPLITS}
    assert not keys["train"] & keys["test"]
    assert not keys["train"] & keys["dev"]


def test_test_split_holds_out_groups(data: Data) -> None:
    held = {f.name: f.split for f in gen.FAMILIES}
    test_fams = Counter(held[r.family] for r in data["test"])
    assert test_fams["test"] / len(data["test"]) >= 0.25  # whole families unseen in train
    assert not {r.family for r in data["train"]} & {n for n, s in held.items() if s != "train"}
    # held-out products never appear in train texts
    products = gen._split_products()
    train_text = "\n".join(r.text for r in data["train"])
    test_only = {p for ps in products["test"].values() for p in ps}
    assert test_only
    assert not [p for p in test_only if p in train_text]


def test_evasion_aligned_with_test_abuse(data: Data) -> None:
    abuse = [r for r in data["test"] if r.label == "abuse"]
    ev = data["test_evasion"]
    assert len(ev) == len(abuse) > 0
    changed = 0
    for plain, var in zip(abuse, ev, strict=True):
        assert var.label == "abuse" and var.sentiment == -1 and var.domain == plain.domain
        assert var.text != plain.text
        changed += 1
    assert changed == len(abuse)
    # a good share uses substitutions, not just whitespace
    subst = sum(
        1
        for p, v in zip(abuse, ev, strict=True)
        if p.text.replace(" ", "") != v.text.replace(" ", "")
    )
    assert subst / len(ev) > 0.6


def test_evasion_variant_examples() -> None:
    rng = random.Random(0)
    outs = {gen.evasion_variant("主播是傻逼", rng) for _ in range(60)}
    assert len(outs) >= 5
    assert "主播是傻逼" not in outs
    assert any("sb" in o.lower() or "s.b" in o.lower() or "傻b" in o for o in outs)


def test_variety(data: Data) -> None:
    for split in gen.SPLITS:
        texts = [r.text for r in data[split]]
        keys = [gen.norm_key(t) for t in texts]
        assert len(set(keys)) / len(keys) > 0.75, split
        for label in LABELS:
            lt = [r.text for r in data[split] if r.label == label]
            assert len(_bigrams(lt)) / len(lt) > 0.8, (split, label)
    train = [r.text for r in data["train"]]
    assert len(_bigrams(train)) > 8000
    lengths = sorted(len(t) for t in train)
    assert 4 <= lengths[len(lengths) // 2] <= 16
    assert sum(2 <= n <= 20 for n in lengths) / len(lengths) > 0.8
    domains = Counter(r.domain for r in data["train"])
    assert set(domains) == DOMAINS


def test_boundary_rules_present(data: Data) -> None:
    rows = [r for s in gen.SPLITS for r in data[s]]
    by_text: dict[str, set[str]] = {}
    for r in rows:
        # emoji are kept in the key: 😂 is what makes "你是猪吗😂" playful chatter
        emoji = "".join(c for c in r.text if ord(c) > 0x2000 and not c.isalnum())
        by_text.setdefault(gen.norm_key(r.text) + "|" + emoji.strip("？！。，…~"), set()).add(
            r.label
        )
    hard = [r for r in rows if r.hard]
    assert len(hard) > 500
    assert {r.label for r in hard} == LABELS
    # the same wording never carries two labels
    assert all(len(v) == 1 for v in by_text.values())


def test_written_files_match_generator(tmp_path: Path, data: Data) -> None:
    counts = gen.write_corpus(tmp_path, 1126)
    for split in ("train", "dev", "test"):
        lines = (tmp_path / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(x) for x in lines] == [r.to_dict() for r in data[split]]
        assert sum(counts[split].values()) == len(lines)
    ev = [json.loads(x) for x in (tmp_path / "test_evasion.jsonl").read_text("utf-8").splitlines()]
    plains = [r.text for r in data["test"] if r.label == "abuse"]
    assert [e["plain"] for e in ev] == plains


def test_committed_corpus_is_current() -> None:
    if not (CORPUS / "train.jsonl").exists():
        pytest.skip("corpus not generated")
    data = gen.generate(1126)
    for split in ("train", "dev", "test"):
        lines = (CORPUS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(x) for x in lines] == [r.to_dict() for r in data[split]], split


def test_handwritten_file() -> None:
    path = CORPUS / "handwritten.jsonl"
    if not path.exists():
        pytest.skip("handwritten file not written yet")
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(rows) >= 600
    assert {r["label"] for r in rows} == LABELS
    assert {r["domain"] for r in rows} == DOMAINS
    for r in rows:
        assert r["source"] == "handwritten"
        assert r["label"] in LABELS and r["sentiment"] in (-1, 0, 1) and r["text"].strip()
        assert isinstance(r["hard"], bool)
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts)
    counts = Counter(r["label"] for r in rows)
    assert min(counts.values()) >= 80


def test_documented_boundary_examples(data: Data) -> None:
    rows = [r for s in gen.SPLITS for r in data[s]]

    def labels_where(pred: Any) -> set[str]:
        return {r.label for r in rows if pred(r.text)}

    assert labels_where(lambda t: "有没有微信群" in t) == {"question"}
    assert labels_where(lambda t: "加微辣" in t) == {"question"}
    assert labels_where(lambda t: "打call" in t) == {"chatter"}
    assert labels_where(lambda t: "拖欠" in t) == {"grievance"}
    assert labels_where(lambda t: "还不发货" in t) <= {"grievance"}
    assert labels_where(lambda t: "是正品吗" in t) == {"question"}
    markers = ("哈", "hhh", "😂", "🤣", "笑死", "好可爱", "[捂脸]", "[偷笑]")
    assert labels_where(lambda t: "是猪吗" in t and any(m in t for m in markers)) == {"chatter"}
    assert labels_where(lambda t: "是猪吗" in t and not any(m in t for m in markers)) == {"abuse"}
    assert labels_where(lambda t: t.startswith("骗子")) == {"abuse"}
    assert "grievance" in labels_where(lambda t: t.startswith(("妈的", "tmd")))
    assert labels_where(lambda t: "复制打开淘宝" in t) == {"spam"}

"""Tests for tools/gen_sample.py and the sample recordings it ships in samples/."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from roomwatch.core.record import KINDS, PAID_KINDS, parse_json

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
BEAUTY = "beauty-live-1126"
FARM = "county-apples-1126"
LABELS = {"question", "grievance", "abuse", "spam", "chatter"}


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_sample", ROOT / "tools" / "gen_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_sample", module)
    spec.loader.exec_module(module)
    return module


gen = _load_tool()


def _read_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8").splitlines()


class Shipped:
    def __init__(self, recording: Path) -> None:
        truth_path, events_path = gen.sidecar_paths(recording)
        self.lines = _read_lines(recording)
        self.records: list[dict[str, Any]] = [json.loads(line) for line in self.lines]
        self.truth: list[dict[str, str]] = [json.loads(line) for line in _read_lines(truth_path)]
        self.meta: dict[str, Any] = json.loads(events_path.read_text(encoding="utf-8"))
        self.label = {t["id"]: t["label"] for t in self.truth}
        self.topic = {t["id"]: t["topic"] for t in self.truth if "topic" in t}

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.meta["events"] if e["kind"] == kind]


@pytest.fixture(scope="module")
def demo() -> Shipped:
    return Shipped(SAMPLES / "demo.jsonl.gz")


@pytest.fixture(scope="module")
def mini() -> Shipped:
    return Shipped(SAMPLES / "mini.jsonl")


# -- the generator ----------------------------------------------------------


def test_same_seed_same_bytes_and_shipped_files_are_current(tmp_path: Path) -> None:
    for args, shipped in (([], "demo.jsonl.gz"), (["--mini"], "mini.jsonl")):
        name = shipped
        first, second = tmp_path / "a" / name, tmp_path / "b" / name
        assert gen.main([*args, "--seed", "1126", "--out", str(first)]) == 0
        assert gen.main([*args, "--seed", "1126", "--out", str(second)]) == 0
        for a, b, ship in zip(
            (*gen.sidecar_paths(first), first),
            (*gen.sidecar_paths(second), second),
            (*gen.sidecar_paths(SAMPLES / shipped), SAMPLES / shipped),
            strict=True,
        ):
            assert a.read_bytes() == b.read_bytes(), a.name
            # The committed sample must be what the committed generator makes.
            assert a.read_bytes() == ship.read_bytes(), f"regenerate {ship.name}"


def test_other_seed_gives_other_recording() -> None:
    one = gen.generate(gen.mini_plan(), 1126)
    two = gen.generate(gen.mini_plan(), 7)
    assert [r["text"] for r in one.records] != [r["text"] for r in two.records]


def test_sidecar_paths() -> None:
    truth, events = gen.sidecar_paths(Path("x/demo.jsonl.gz"))
    assert (truth.name, events.name) == ("demo.truth.jsonl.gz", "demo.events.json")
    truth, events = gen.sidecar_paths(Path("mini.jsonl"))
    assert (truth.name, events.name) == ("mini.truth.jsonl", "mini.events.json")


# -- both shipped recordings -------------------------------------------------


@pytest.mark.parametrize("which", ["demo", "mini"])
def test_every_line_is_a_valid_record(which: str, request: pytest.FixtureRequest) -> None:
    sample: Shipped = request.getfixturevalue(which)
    platforms = {BEAUTY: "douyin", FARM: "kuaishou"}
    for line in sample.lines:
        comment = parse_json(line, received_at=0.0)
        assert comment.kind in KINDS
        assert comment.platform == platforms[comment.room]
        assert comment.id is not None and comment.id.startswith("m-")
        assert comment.user.id is not None and comment.user.level is not None
        assert 1 <= comment.user.level <= 50
        if comment.kind in PAID_KINDS:
            assert comment.amount is not None and comment.amount > 0
        else:
            assert comment.amount is None
        # Round trip: nothing but record fields, so no hidden labels.
        assert json.loads(comment.to_json()) == json.loads(line)
        assert "label" not in line


@pytest.mark.parametrize("which", ["demo", "mini"])
def test_sorted_unique_and_labelled(which: str, request: pytest.FixtureRequest) -> None:
    sample: Shipped = request.getfixturevalue(which)
    ts = [r["ts"] for r in sample.records]
    assert ts == sorted(ts)
    ids = [r["id"] for r in sample.records]
    assert len(set(ids)) == len(ids)
    assert [t["id"] for t in sample.truth] == ids
    assert {t["label"] for t in sample.truth} == LABELS
    assert {r["room"] for r in sample.records} == {BEAUTY, FARM}
    for room in (BEAUTY, FARM):
        labels = {sample.label[r["id"]] for r in sample.records if r["room"] == room}
        assert labels == LABELS, room
    # Only questions carry a fold topic, and it names the room it belongs to.
    by_id = {r["id"]: r for r in sample.records}
    for msg_id, topic in sample.topic.items():
        assert sample.label[msg_id] == "question"
        assert topic.startswith(by_id[msg_id]["room"] + "/")
    assert sample.meta["start_ts"] <= ts[0] and ts[-1] <= sample.meta["end_ts"]


# -- the demo recording ------------------------------------------------------


def test_demo_size_and_duration(demo: Shipped) -> None:
    assert 10_000 <= len(demo.records) <= 20_000
    assert (SAMPLES / "demo.jsonl.gz").stat().st_size < 1_500_000
    assert demo.meta["start_ts"] == 1764115200.0
    for room in (BEAUTY, FARM):
        ts = [r["ts"] for r in demo.records if r["room"] == room]
        assert 19 * 60 <= ts[-1] - ts[0] <= 20 * 60


def test_demo_label_proportions(demo: Shipped) -> None:
    comments = [r for r in demo.records if r["kind"] in ("comment", "superchat")]
    share = Counter(demo.label[r["id"]] for r in comments)
    total = len(comments)
    assert share["chatter"] / total > 0.4
    assert 0.2 < share["question"] / total < 0.45
    assert 0.01 < share["abuse"] / total < 0.06
    assert 0.01 < share["spam"] / total < 0.07
    assert 0.03 < share["grievance"] / total < 0.12
    kinds = Counter(r["kind"] for r in demo.records)
    for kind in ("enter", "like", "gift", "superchat", "system"):
        assert kinds[kind] > 0, kind
    sc_labels = {demo.label[r["id"]] for r in demo.records if r["kind"] == "superchat"}
    assert "question" in sc_labels


def test_demo_rates_vary_and_stay_realistic(demo: Shipped) -> None:
    start = demo.meta["start_ts"]
    for room in (BEAUTY, FARM):
        per_second = Counter(
            int(r["ts"] - start)
            for r in demo.records
            if r["room"] == room and r["kind"] == "comment"
        )
        per_minute = [sum(per_second[s] for s in range(m * 60, m * 60 + 60)) for m in range(20)]
        assert max(per_second.values()) <= 40
        assert 1.5 <= sum(per_minute) / 1200 <= 12
        # Quiet start, busier later.
        assert per_minute[0] < 0.5 * max(per_minute)


def test_link_pushes_bring_question_peaks(demo: Shipped) -> None:
    pushes = demo.events("link_push")
    assert sorted(e["link"] for e in pushes if e["room"] == BEAUTY) == list(range(1, 9))
    for push in pushes:
        before = [
            r
            for r in demo.records
            if r["room"] == push["room"] and push["start"] - 60 <= r["ts"] < push["start"]
        ]
        after = [
            r
            for r in demo.records
            if r["room"] == push["room"] and push["start"] <= r["ts"] < push["start"] + 60
        ]
        asked = [
            r for r in after if demo.topic.get(r["id"], "").endswith(f"/link{push['link']}:price")
        ]
        assert len(after) > len(before), push
        assert len(asked) >= 10, push
        assert len({r["text"] for r in asked}) >= 5, push  # worded differently


def test_questions_about_two_links_at_once(demo: Shipped) -> None:
    p3, p5 = (
        next(e for e in demo.events("link_push") if e["room"] == BEAUTY and e["link"] == n)
        for n in (3, 5)
    )
    window = [r for r in demo.records if p5["start"] <= r["ts"] < p3["end"] and r["room"] == BEAUTY]
    topics = Counter(demo.topic[r["id"]] for r in window if r["id"] in demo.topic)
    assert topics[f"{BEAUTY}/link3:price"] >= 5
    assert topics[f"{BEAUTY}/link5:price"] >= 5


def test_some_users_repeat_their_question(demo: Shipped) -> None:
    asked: dict[tuple[str, str], int] = Counter()
    for r in demo.records:
        if r["id"] in demo.topic:
            asked[r["user"]["id"], demo.topic[r["id"]]] += 1
    assert sum(1 for n in asked.values() if n >= 2) >= 50


def test_complaint_burst_is_a_burst(demo: Shipped) -> None:
    (burst,) = demo.events("complaint_burst")
    assert burst["room"] == FARM
    inside = outside = 0
    for r in demo.records:
        if r["room"] == FARM and demo.label[r["id"]] == "grievance":
            if burst["start"] <= r["ts"] < burst["end"]:
                inside += 1
            else:
                outside += 1
    span = burst["end"] - burst["start"]
    rest = demo.meta["end_ts"] - demo.meta["start_ts"] - span
    assert inside >= 100
    assert inside / span > 8 * (outside / rest)
    # And grievances also trickle in steadily outside it.
    assert outside / rest * 60 >= 3


def test_abuse_raid_is_several_accounts_within_seconds(demo: Shipped) -> None:
    (raid,) = demo.events("abuse_raid")
    lines = [
        r for r in demo.records if r["room"] == raid["room"] and r["user"]["id"] in raid["users"]
    ]
    assert len({r["user"]["id"] for r in lines}) >= 5
    assert all(demo.label[r["id"]] == "abuse" for r in lines)
    assert max(r["ts"] for r in lines) - min(r["ts"] for r in lines) <= 10
    assert (
        raid["start"] <= min(r["ts"] for r in lines) <= max(r["ts"] for r in lines) <= raid["end"]
    )
    # Near-identical: the same core text once spacing and tails are dropped.
    bare = (re.sub(r"\[[^\]]*\]", "", r["text"]) for r in lines)
    cores = {"".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff") for text in bare}
    assert len(cores) == 1


def test_demo_has_a_long_tail_of_viewers(demo: Shipped) -> None:
    per_user = Counter(r["user"]["id"] for r in demo.records if r["kind"] == "comment")
    assert len(per_user) >= 1500
    top = per_user.most_common(5)
    assert top[0][1] >= 30  # chatty regulars
    assert sum(1 for n in per_user.values() if n == 1) >= 300  # one-off viewers


def test_demo_texts_vary(demo: Shipped) -> None:
    by_label: dict[str, set[str]] = defaultdict(set)
    for r in demo.records:
        if r["kind"] == "comment":
            by_label[demo.label[r["id"]]].add(r["text"])
    assert len(by_label["question"]) >= 1000
    assert len(by_label["chatter"]) >= 1000
    assert len(by_label["grievance"]) >= 200
    assert len(by_label["spam"]) >= 100
    assert len(by_label["abuse"]) >= 50
    everything = " ".join(r["text"] for r in demo.records)
    for needle in (
        "傻b",
        "s b",
        "煞笔",
        "nmsl",
        "cnm",
        "你🐎",
        "拖欠工资",
        "拆迁",
        "看病难",
        "[比心]",
    ):
        assert needle in everything, needle


# -- the mini recording ------------------------------------------------------


def test_mini_is_small_and_complete(mini: Shipped) -> None:
    assert 150 <= len(mini.records) <= 300
    labels = Counter(mini.label[r["id"]] for r in mini.records)
    assert 2 <= labels["abuse"] <= 3
    folded = Counter(mini.topic.values())
    assert sum(1 for n in folded.values() if n >= 3) >= 3
    assert {e["kind"] for e in mini.meta["events"]} == {"link_push"}


def test_readme_matches_the_files(demo: Shipped, mini: Shipped) -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "python tools/gen_sample.py --mini" in readme
    assert f"{len(demo.records):,} records" in readme
    assert f"{len(mini.records)}-record" in readme
    labels = Counter(demo.label.values())
    row = " | ".join(f"{labels[name]:,}" for name in gen.LABELS)
    assert f"| **all** | {row} | {len(demo.records):,} |" in readme

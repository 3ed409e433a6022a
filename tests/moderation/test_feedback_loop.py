"""The feedback loop end to end: a moderator's false positive retrains the model.

Real service and SQLite store, the real moderation API, the real
``roomwatch feedback export`` and ``roomwatch train`` commands (``--small``:
a quick model from a sample of the shipped corpus).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from roomwatch.assets import asset_dir
from roomwatch.cli import main as roomwatch_main
from roomwatch.core.analyze import Analyzer
from roomwatch.core.classify import LABELS, Classifier
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.service import Service
from roomwatch.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError, sentiment_class

from ..conftest import TOKENS
from ..support.wait import wait_for
from .support import dashboard_service, ingest
from .test_actions import ROOM, T0, post

#: Friendly teasing the shipped model takes for abuse: a false positive.
TEASE = "笑死我了哈哈哈你个傻子"
TINY = Path(__file__).resolve().parents[1] / "training" / "data" / "tiny_corpus.jsonl"


def score(models: Path, text: str) -> dict[str, float]:
    lexicons = asset_dir("lexicons")
    clf = Classifier.load(models, lexicons)
    normalized = Normalizer.from_dir(lexicons)(text)
    tokens = Segmenter.from_dir(lexicons).cut_batch([normalized.text])
    return dict(clf.predict_batch([normalized], tokens)[0].scores)


async def train(argv: list[str]) -> None:
    code = await asyncio.to_thread(roomwatch_main, ["train", *argv])
    assert code == 0


async def decided(svc: Service, body: dict[str, Any]) -> Path:
    """Post a moderator's decision; the store's file, with it written."""
    status, reply = await post(svc, body, TOKENS["moderator"])
    assert status == 200, reply
    assert svc.store is not None
    await svc.store.flush()
    return Path(svc.store.path)


async def export_and_retrain(db: Path, tmp_path: Path) -> tuple[dict[str, Any], Path, Path]:
    """``feedback export`` of the store's one verdict, and two small models
    trained without and with it: (the exported line, before, after)."""
    feedback = tmp_path / "fb.jsonl"
    code = await asyncio.to_thread(
        roomwatch_main, ["feedback", "export", "--db", str(db), "--out", str(feedback)]
    )
    assert code == 0
    [line] = [json.loads(x) for x in feedback.read_text(encoding="utf-8").splitlines()]
    before, after = tmp_path / "before", tmp_path / "after"
    await train(["--small", "400", "--out", str(before), "--version", "before"])
    await train(
        ["--small", "400", "--extra", str(feedback), "--out", str(after), "--version", "after"]
    )
    return line, before, after


async def test_a_confirmed_false_positive_lowers_the_wrong_label_after_retraining(
    analyzer: Analyzer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run from an unrelated directory: no default may depend on the CWD.
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    async with dashboard_service(analyzer, tmp_path, None) as (svc, mod):
        await ingest(
            svc,
            [
                {
                    "room": ROOM,
                    "text": TEASE,
                    "ts": T0,
                    "id": "fp-1",
                    "user": {"id": "fan-1", "name": "老粉", "level": 9},
                }
            ],
        )
        await wait_for(lambda: any(i.id == "fp-1" for i in mod.queue.items(ROOM)))
        item = next(i for i in mod.queue.items(ROOM) if i.id == "fp-1")
        wrong = item.label
        assert wrong in ("abuse", "spam")
        body = {"action": "false_positive", "room": ROOM, "id": "fp-1", "label": "chatter"}
        db = await decided(svc, body)

    line, before, after = await export_and_retrain(db, tmp_path)
    assert line["text"] == TEASE and line["label"] == "chatter"
    # The sentiment the moderator saw, not a made-up neutral 0.
    assert line["sentiment_score"] == pytest.approx(item.sentiment)
    assert line["sentiment"] == sentiment_class(item.sentiment)
    manifest = json.loads((after / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["training"]["rows"]["corpus"] == 401  # the sample + the feedback row
    p_before, p_after = score(before, TEASE)[wrong], score(after, TEASE)[wrong]
    assert p_after < p_before, (wrong, p_before, p_after)


async def test_extra_adds_to_the_handwritten_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # defaults come from the package, not from here
    extra = tmp_path / "fb.jsonl"
    extra.write_text(
        json.dumps({"text": TEASE, "label": "chatter", "sentiment": 1}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "models"
    argv = [
        "--corpus", str(TINY), "--extra", str(extra), "--no-public", "--dev", "",
        "--min-df", "2", "--out", str(out),
    ]  # fmt: skip
    await train(argv)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    handwritten = asset_dir("corpus") / "live" / "handwritten.jsonl"
    n_handwritten = sum(1 for x in handwritten.read_text(encoding="utf-8").splitlines() if x)
    assert n_handwritten == 670
    assert manifest["training"]["rows"]["corpus"] == 60 + 670 + 1
    sources = manifest["training"]["sources_sha256"]
    assert any(key.endswith("handwritten.jsonl") for key in sources), sources

    # --no-handwritten leaves them out.
    await train([*argv, "--no-handwritten", "--out", str(tmp_path / "m2")])
    manifest = json.loads((tmp_path / "m2" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["training"]["rows"]["corpus"] == 60 + 1


async def test_a_version_1_store_gains_the_sentiment_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for sql in MIGRATIONS[0]:
        conn.execute(sql)
    conn.execute(
        "INSERT INTO feedback (ts, room, text, predicted_label, label, kind, actor)"
        " VALUES (1.0, 'r', '旧的', 'abuse', 'chatter', 'false_positive', 'm')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    from prometheus_client import CollectorRegistry

    async with await Store.open(path, registry=CollectorRegistry()) as store:
        [row] = await store.feedback()
        assert row.sentiment is None and row.to_corpus()["sentiment"] is None
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


async def test_a_version_3_store_keeps_its_feedback_and_takes_missed_insults(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v3.sqlite3"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:3]:
        for sql in migration:
            conn.execute(sql)
    for text in ("旧的", "撤销了的"):
        conn.execute(
            "INSERT INTO feedback (ts, room, text, predicted_label, label, kind, actor, sentiment)"
            " VALUES (1.0, 'r', ?, 'abuse', 'chatter', 'false_positive', 'm', 0.5)",
            (text,),
        )
    conn.execute("DELETE FROM feedback WHERE id = 2")  # an undo
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    from prometheus_client import CollectorRegistry

    async with await Store.open(path, registry=CollectorRegistry()) as store:
        [old] = await store.feedback()
        assert (old.id, old.text, old.kind, old.sentiment) == (1, "旧的", "false_positive", 0.5)
        new = await store.add_feedback(
            ts=2.0,
            room="r",
            text="你个戏精",
            predicted_label="chatter",
            kind="missed",
            actor="m",
            label="abuse",
            comment_id="c-9",
        )
        assert new == 3  # the id an undo deleted is not given again
        with pytest.raises(StoreError):  # a missed verdict says what was missed
            await store.add_feedback(
                ts=3.0, room="r", text="x", predicted_label="chatter", kind="missed", actor="m"
            )
        await store.export_feedback_jsonl(tmp_path / "fb.jsonl")
        lines = (tmp_path / "fb.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["label"] for line in lines] == ["chatter", "abuse"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert {r[1] for r in conn.execute("PRAGMA index_list(feedback)")} >= {
        "feedback_ts",
        "feedback_room_user_ts",
        "feedback_action",
    }
    conn.close()


#: A put-down the shipped model lets through (no insult word: sarcasm).
SNEER = "你这种货色也配直播"


async def test_a_missed_insult_hidden_from_the_stream_raises_abuse_after_retraining(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async with dashboard_service(analyzer, tmp_path, None) as (svc, mod):
        user = {"id": "troll-1", "name": "路人甲", "level": 1}
        await ingest(svc, [{"room": ROOM, "text": SNEER, "ts": T0, "id": "ms-1", "user": user}])
        await wait_for(lambda: mod.history.recent(ROOM, "troll-1"))
        assert not any(i.id == "ms-1" for i in mod.queue.items(ROOM))  # the model let it through
        body = {"action": "hide", "room": ROOM, "id": "ms-1", "user": "troll-1", "label": "abuse"}
        db = await decided(svc, body)

    line, before, after = await export_and_retrain(db, tmp_path)
    assert (line["text"], line["label"], line["sentiment"]) == (SNEER, "abuse", None)
    # The model's own abuse probability, before the rules that want an
    # insult word or a target as evidence for an abuse verdict (a sneer has
    # none, so its verdict stays chatter: the example teaches the heads).
    p_before, p_after = model_abuse(before, SNEER), model_abuse(after, SNEER)
    assert p_after > p_before + 0.2, (p_before, p_after)


def model_abuse(models: Path, text: str) -> float:
    lexicons = asset_dir("lexicons")
    clf = Classifier.load(models, lexicons)
    normalized = Normalizer.from_dir(lexicons)(text)
    tokens = Segmenter.from_dir(lexicons).cut_batch([normalized.text])
    probs = clf.scores_matrix([normalized], tokens)[0]
    return float(probs[0, LABELS.index("abuse")])

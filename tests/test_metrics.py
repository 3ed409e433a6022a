"""What a real service exports on /metrics: component counters that move, units in names."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from roomwatch import metrics as metrics_module
from roomwatch.metrics import (
    Metrics,
    RecorderMetrics,
    StoreMetrics,
    StreamMetrics,
    WebhookMetrics,
    accept_errors_counter,
    install_process_metrics,
    moderation_actions_counter,
)
from roomwatch.service import Service
from tests.conftest import TOKENS

SRC = Path(__file__).resolve().parents[1] / "src" / "roomwatch"
#: The unit a gauge or histogram name ends in; a counter's unit is ``_total``
#: (what it counts comes before it: ``_events_total``, ``_errors_total``).
UNITS = (
    "_seconds",
    "_bytes",
    "_events",
    "_comments",
    "_messages",
    "_rows",
    "_connections",
    "_clients",
    "_tasks",
    "_fds",
    "_entries",
    "_shards",
    # A 1/0 gauge, as Prometheus's own `up`.
    "_up",
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def _scrape(session: aiohttp.ClientSession, url: str) -> tuple[str, Samples]:
    async with session.get(f"{url}/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return text, samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _unitless(names: set[str]) -> list[str]:
    bad = []
    for name in sorted(names):
        if not name.startswith("roomwatch_"):
            continue
        if name.endswith("_created"):  # prometheus_client's start time of a counter
            continue
        if name.endswith("_total") or name.endswith(UNITS):
            continue
        bad.append(name)
    return bad


async def test_component_counters_move_when_comments_flow(service: Service) -> None:
    http = {"component_kind": "source", "component_id": "http"}
    pipeline = {"component_kind": "transform", "component_id": "pipeline"}
    recorder = {"component_kind": "sink", "component_id": "recorder"}
    moderator = {"component_kind": "sink", "component_id": "hub/moderator"}
    rows = [
        {"room": "r1", "text": "这个多少钱", "id": "m-1"},
        {"room": "r1", "text": "主播好", "id": "m-2"},
        {"room": "r1", "text": "加v看主页 wx123456 便宜", "id": "m-3"},  # spam: flagged
        {"room": "r1", "text": "主播好", "id": "m-2"},  # a duplicate id
    ]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n"
    async with aiohttp.ClientSession() as session:
        _, before = await _scrape(session, service.url)
        assert _value(before, "roomwatch_component_received_events_total", **http) == 0
        async with session.ws_connect(
            f"{service.url}/ws/moderator?token={TOKENS['moderator']}"
        ) as ws:
            async with session.post(
                f"{service.url}/ingest",
                data=body.encode(),
                headers={"Authorization": f"Bearer {TOKENS['ingest']}"},
            ) as resp:
                assert resp.status == 200
                answer = await resp.json()
            assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (3, 1, 1)
            # The flagged verdict reaches our moderator client.
            frames = 0
            while True:
                msg = json.loads((await asyncio.wait_for(ws.receive(), 20)).data)
                frames += 1
                if msg["type"] == "verdict":
                    break
            await _until(lambda: service.pipeline.processed == 3)
            # The recorder flushes every 0.2 s.
            deadline = time.monotonic() + 20
            while True:
                _, after = await _scrape(session, service.url)
                if _value(after, "roomwatch_component_sent_events_total", **recorder) == 4:
                    break
                assert time.monotonic() < deadline, "the recorder never wrote the records"
                await asyncio.sleep(0.05)
            await ws.close()

    def got(name: str, **labels: str) -> float:
        return _value(after, f"roomwatch_component_{name}_total", **labels)

    # The HTTP source: five records in, four handed on, the malformed one discarded.
    assert got("received_events", **http) == 5
    assert got("sent_events", **http) == 4
    assert got("discarded_events", **http, reason="not_json") == 1
    # The pipeline: what the source sent, less the duplicate, comes out with a verdict.
    assert got("received_events", **pipeline) == 4
    assert got("discarded_events", **pipeline, reason="duplicate") == 1
    assert got("sent_events", **pipeline) == 3
    # The recorder writes every accepted record, duplicates too (a replay sheds the same).
    assert got("received_events", **recorder) == 4
    assert got("discarded_events", **recorder, reason="closed") == 0
    # The moderator channel published the flagged verdict and sent our client
    # every frame it read (hello, snapshot, the verdict).
    assert got("received_events", **moderator) == 1
    assert got("sent_events", **moderator) >= frames


async def test_every_exported_roomwatch_metric_carries_a_unit(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        text, samples = await _scrape(session, service.url)
    names = {re.sub(r"_(bucket|count|sum)$", "", name) for name, _ in samples}
    # The families with no samples yet are in the text's TYPE lines.
    names |= set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))
    assert "roomwatch_component_received_events_total" in names
    assert "roomwatch_process_open_fds" in names
    assert not _unitless(names), f"metric names without a unit: {_unitless(names)}"


def _declared_names() -> set[str]:
    """Every metric family roomwatch declares, as scraped (counters end in ``_total``)."""
    # Every declaration in roomwatch/metrics/ on one registry: webhooks and moderation too.
    registry = CollectorRegistry()
    Metrics(registry)
    StoreMetrics(registry)
    RecorderMetrics(registry)
    StreamMetrics(registry)
    WebhookMetrics(registry)
    moderation_actions_counter(registry)
    accept_errors_counter(registry)
    loop = asyncio.new_event_loop()
    try:
        install_process_metrics(registry, loop)
    finally:
        loop.close()
    names = set()
    for family in registry.collect():
        names.add(family.name + ("_total" if family.type == "counter" else ""))
    return names


def test_every_declared_metric_carries_a_unit() -> None:
    names = _declared_names()
    assert len(names) >= 30
    assert not _unitless(names), f"metric names without a unit: {_unitless(names)}"


def test_the_unit_check_refuses_a_name_without_a_unit() -> None:
    assert _unitless({"roomwatch_webhook_queue_depth", "roomwatch_source_connected"}) == [
        "roomwatch_source_connected",
        "roomwatch_webhook_queue_depth",
    ]
    assert _unitless({"roomwatch_webhook_queue_depth_events", "other_thing"}) == []


def test_metrics_are_declared_only_in_the_metrics_package() -> None:
    declares = re.compile(r"\b(Counter|Gauge|Histogram|Summary|Info|Enum)\(\s*\"")
    elsewhere = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if Path(metrics_module.__file__).parent not in path.parents
        and declares.search(path.read_text("utf-8"))
    ]
    assert not elsewhere, f"metrics declared outside roomwatch/metrics/: {elsewhere}"


def test_every_metric_the_docs_name_exists() -> None:
    # After the renames, docs/limits.md still sent readers to
    # source_rejects_total and pipeline_discarded_total, which no longer exist.
    # A counter named in any doc (with or without the roomwatch_ prefix) must
    # be one roomwatch declares; only docs/metrics.md's rename table names old ones.
    declared = _declared_names()
    docs = [*(SRC.parents[1] / "docs").glob("*.md"), SRC.parents[1] / "README.md"]
    named = re.compile(r"`(?:roomwatch_)?([a-z][a-z_]*_total)\b")
    unknown = []
    for doc in docs:
        for lineno, line in enumerate(doc.read_text("utf-8").splitlines(), 1):
            if doc.name == "metrics.md" and line.startswith("| `roomwatch_"):
                line = line.split("|")[2]  # the rename table: only the new name counts
            for name in named.findall(line):
                if f"roomwatch_{name}" not in declared:
                    unknown.append(f"{doc.name}:{lineno}: {name}")
    assert not unknown, unknown

"""A shard's views (room snapshots) when the shard changes hands.

A new owner rebuilds the rooms' state from the shard's history with the
output suppressed. The old owner's last views may be up to
``VIEWS_EVERY_S`` behind its state (it sends them at most that often, and
a shard given back or lost takes what it had not sent with it), so the new
owner sends the views of the rooms it rebuilt; otherwise a room that gets
no new records keeps, in the output stream, a snapshot from before the
hand-over (seen as a flaky ``test_roles`` run: the first item only).
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from prometheus_client import CollectorRegistry

from roomwatch.compose.graph import analyzer_for
from roomwatch.compose.worker import shard_graphs
from roomwatch.config import Settings
from roomwatch.core.record import Comment
from roomwatch.metrics import Metrics
from roomwatch.streams.layout import Entry
from roomwatch.streams.shard import ShardRun
from tests.streams.conftest import RECORDING, host_items

ROOM = "county-apples-1126"


def _entries(n: int) -> list[Entry]:
    out: list[Entry] = []
    with gzip.open(RECORDING, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i == n:
                break
            raw = json.loads(line)
            comment = Comment.from_dict(raw, received_at=raw["ts"])
            out.append(Entry(f"{i + 1}-0", comment, "replay", False, 0.0, f"k{i}"))
    return out


def _run(settings: Settings, analyzer: Any) -> ShardRun:
    factory = shard_graphs(settings, analyzer, Metrics(CollectorRegistry()))
    return ShardRun.build(0, factory, window=10_000)


async def test_a_new_owner_sends_the_views_of_the_rooms_it_rebuilt() -> None:
    settings = Settings()
    analyzer = analyzer_for(settings)
    history = _entries(400)

    # What the old owner's rooms look like once it has processed the history.
    old = _run(settings, analyzer)
    await old.process(history)
    state = host_items(old.views({ROOM})["host"][ROOM])
    assert len(state) > 1, "the history should fold several questions (else this tests little)"
    await old.graph.pipeline.close()

    # The new owner rebuilds from the same history, output suppressed; nothing new arrives.
    new = _run(settings, analyzer)
    assert await new.process(history, rebuild=True) == {}
    payload = new.tick(stats=False)
    assert "verdicts" not in payload and "alerts" not in payload, "a rebuild outputs nothing"
    assert host_items(payload["views"]["host"][ROOM]) == state
    assert new.tick(stats=False).get("views") is None, "sent once, not with every tick"
    await new.graph.pipeline.close()


async def test_a_rebuild_is_not_counted_as_work_in_the_metrics() -> None:
    # An operator saw a worker that had taken over shards report thousands of
    # verdicts a second and a lag spike: its rebuild re-ran records already
    # counted when they were live. And a worker counted the gateway's records
    # under the gateway's source name ("http"), twice in "comments in /s".
    settings = Settings()
    analyzer = analyzer_for(settings)
    history = _entries(200)
    registry = CollectorRegistry()
    factory = shard_graphs(settings, analyzer, Metrics(registry))
    run = ShardRun.build(0, factory, window=10_000)

    def sample(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    sent = "roomwatch_component_sent_events_total"
    # (with 20 records seen twice: dropped as duplicates, counted when live)
    again = [
        Entry(f"{i + 500}-0", e.comment, "replay", False, 0.0, f"d{i}")
        for i, e in enumerate(history[:20])
    ]
    await run.process(history[:150] + again, rebuild=True)
    assert sample(sent, component_kind="transform", component_id="pipeline") == 0
    discarded = "roomwatch_component_discarded_events_total"
    assert (
        sample(discarded, component_kind="transform", component_id="pipeline", reason="duplicate")
        == 0
    )
    assert sample("roomwatch_verdict_lag_seconds_count", room="other") == 0
    assert (
        sum(
            s.value
            for m in registry.collect()
            if m.name == "roomwatch_classify_comments"
            for s in m.samples
            if s.name.endswith("_total")
        )
        == 0
    )
    # Live records after it are counted, under the stream's name.
    await run.process(history[150:])
    assert sample(sent, component_kind="transform", component_id="pipeline") == 50
    received = "roomwatch_component_received_events_total"
    assert sample(received, component_kind="source", component_id="stream") == 50
    assert sample(received, component_kind="source", component_id="replay") == 0
    # The same records seen again live are counted as duplicates now.
    live_again = [
        Entry(f"{i + 900}-0", e.comment, "replay", False, 0.0, f"l{i}")
        for i, e in enumerate(history[:20])
    ]
    await run.process(live_again)
    assert (
        sample(discarded, component_kind="transform", component_id="pipeline", reason="duplicate")
        == 20
    )
    await run.graph.pipeline.close()

"""Both sinks a source writes to admit records alike: ``serve``'s pipeline and
the gateway's stream producer (one admission step, ``sources.timebound.guarded``).

A ``ts`` out of the time guard's bounds is rejected and counted under the
source's discarded events with reason ``ts_out_of_range``; a trusted
(replay) record is not checked; a record without ``ts`` is stamped.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from roomwatch.config import PipelineSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.metrics import Metrics, StreamMetrics
from roomwatch.pipeline import Pipeline
from roomwatch.sources.timebound import Guard, TimeGuard
from roomwatch.stages.clock import Pace
from roomwatch.streams.layout import Keys
from roomwatch.streams.producer import StreamProducer
from roomwatch.streams.spool import Spool
from tests.streams.conftest import free_port

WALL = 1_800_000_000.0


class Sink(Protocol):
    guard: Guard | None

    def admit(self, comment: Comment, source: str) -> Any: ...

    def add_tap(self, tap: Callable[[Comment], None]) -> None: ...

    async def offer(
        self, comment: Comment, source: str, *, admitted: bool = False, trusted: bool = False
    ) -> str: ...


def _pipeline(analyzer: Analyzer, metrics: Metrics) -> Pipeline:
    return Pipeline(analyzer, PipelineSettings(), metrics)


def _producer(analyzer: Analyzer, metrics: Metrics) -> StreamProducer:
    # Never started: offer() only spools, nothing is sent (nothing listens there).
    redis = Redis(port=free_port())
    return StreamProducer(
        redis,
        Keys("admission", 4),
        Spool(None, 100),
        metrics=metrics,
        streams=StreamMetrics(metrics.registry),
        pace=Pace(),
        guard=None,
    )


@pytest.fixture(params=[_pipeline, _producer], ids=["pipeline", "producer"])
async def sink(request: Any, analyzer: Analyzer) -> AsyncIterator[tuple[Sink, CollectorRegistry]]:
    make: Callable[[Analyzer, Metrics], Any] = request.param
    registry = CollectorRegistry()
    made = make(analyzer, Metrics(registry))
    yield made, registry
    if isinstance(made, StreamProducer):
        await made.redis.aclose()
    else:
        await made.close()


def _comment(ts: float | None, id: str) -> Comment:
    raw: dict[str, Any] = {"room": "room-a", "id": id, "text": "主播好"}
    if ts is not None:
        raw["ts"] = ts
    return Comment.from_dict(raw, received_at=math.nan)


def _rejected(registry: CollectorRegistry) -> float:
    labels = {"component_kind": "source", "component_id": "http", "reason": "ts_out_of_range"}
    return registry.get_sample_value("roomwatch_component_discarded_events_total", labels) or 0.0


async def test_a_ts_out_of_bounds_is_rejected_and_counted_by_either_sink(
    sink: tuple[Sink, CollectorRegistry],
) -> None:
    s, registry = sink
    s.guard = TimeGuard(PipelineSettings(), clock=lambda: WALL).admit
    ahead = _comment(WALL + 86400, "ahead")
    assert await s.offer(ahead, "http") == "rejected"
    assert _rejected(registry) == 1
    assert s.admit(ahead, "http").reason == "ts_out_of_range"
    # A replay's record (through its Trusted sink) bounds itself: not checked here.
    assert await s.offer(_comment(WALL + 86400, "replayed"), "http", trusted=True) == "accepted"
    # Checked once by admit (as /ingest does), not again by offer.
    assert await s.offer(ahead, "http", admitted=True) == "accepted"
    assert _rejected(registry) == 1
    stamped = s.admit(_comment(None, "unstamped"), "http")
    assert isinstance(stamped, Comment) and not math.isnan(stamped.ts)


async def test_without_a_guard_an_unstamped_record_gets_the_wall_clock(
    sink: tuple[Sink, CollectorRegistry],
) -> None:
    s, registry = sink
    assert s.guard is None
    seen: list[Comment] = []
    s.add_tap(seen.append)
    assert await s.offer(_comment(WALL + 86400 * 365, "far"), "http") == "accepted"
    assert await s.offer(_comment(None, "unstamped"), "http") == "accepted"
    assert _rejected(registry) == 0
    far, unstamped = seen
    assert far.ts == WALL + 86400 * 365
    # Stamped with the wall clock, not left NaN nor given another record's time.
    assert abs(unstamped.ts - time.time()) < 60

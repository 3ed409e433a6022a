"""Metrics counted per batch are the metrics counted per record."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

from roomwatch.config import PipelineSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.metrics import Metrics, observe_many
from roomwatch.pipeline import Pipeline


def samples(
    registry: CollectorRegistry, name: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for m in registry.collect()
        for s in m.samples
        if s.name.startswith(name) and not s.name.endswith("_created")
    }


def test_observe_many_equals_one_observe_per_value() -> None:
    values = [0.0, 0.0004, 0.001, 0.0025, 0.0025, 0.1, 1.0, 7.5, 1e9, 3.0, 0.2]
    one, many = CollectorRegistry(), CollectorRegistry()
    buckets = (0.001, 0.0025, 0.1, 1.0, 5.0)
    h1 = Histogram("h_seconds", "h", ["room"], buckets=buckets, registry=one)
    h2 = Histogram("h_seconds", "h", ["room"], buckets=buckets, registry=many)
    for v in values:
        h1.labels("a").observe(v)
    observe_many(h2.labels("a"), values)
    observe_many(h2.labels("a"), [])
    got, expected = samples(many, "h_seconds"), samples(one, "h_seconds")
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(got[key] - value) <= 1e-9 * max(1.0, abs(value)), key
    assert got[("h_seconds_bucket", (("le", "0.0025"), ("room", "a")))] == 5


async def test_accepted_records_are_counted_once_each(analyzer: Analyzer) -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    pipeline = Pipeline(analyzer, PipelineSettings(batch_max=7), metrics)
    pipeline.start()
    for i in range(40):
        await pipeline.offer(Comment(room="r", text=f"来了{i % 3}", ts=1.0 + i, id=f"m{i}"), "http")
    # Duplicates are accepted (then discarded), as before.
    await pipeline.offer(Comment(room="r", text="来了", ts=50.0, id="m0"), "http")
    await pipeline.offer(Comment(room="r", text="来了", ts=51.0, id="x"), "ws")
    await pipeline.drain()
    await pipeline.close()
    got = samples(registry, "roomwatch_component")
    received = {
        k[1]: v for k, v in got.items() if k[0] == "roomwatch_component_received_events_total"
    }
    assert received[(("component_id", "http"), ("component_kind", "source"))] == 41
    assert received[(("component_id", "ws"), ("component_kind", "source"))] == 1
    assert received[(("component_id", "pipeline"), ("component_kind", "transform"))] == 42
    assert pipeline.processed == 41

"""A pipeline built without a registry (the offline commands) counts on an Unexported one.

Its metrics are no-ops and prometheus_client is not imported for them
(``tests/test_startup_imports.py`` pins that for ``classify``); everything the
pipeline and the stages call on them is accepted, and the results are the
ones a pipeline on a real registry gives.
"""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.compose import STAGES, build_pipeline
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict
from roomwatch.metrics import Metrics, Unexported, component_families
from roomwatch.metrics.unexported import NoMetric

from .conftest import make_settings
from .test_pipeline import T0, Batches

TEXTS = ("主播好", "多少钱?", "傻 逼", "加微信 abc123", "哈哈哈哈哈", "这是什么歌", "退款！！！")


def _families(metrics: Metrics) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(metrics).items()
        if not name.startswith("_")
        and name not in ("registry", "components", "pipeline")
        and not isinstance(value, int)
    }


def test_metrics_on_an_unexported_registry_are_no_ops_and_real_ones_otherwise() -> None:
    quiet = Metrics(Unexported())
    assert _families(quiet) and all(isinstance(m, NoMetric) for m in _families(quiet).values())
    real = Metrics(CollectorRegistry())
    kinds = (Counter, Gauge, Histogram)
    assert all(isinstance(m, kinds) for m in _families(real).values())
    component = component_families(Unexported()).component("source", "s")
    component.received.inc(3)
    component.discarded("bad").inc()
    component.errors("io").inc()


async def _verdicts(analyzer: Analyzer, metrics: Metrics | None) -> list[dict[str, object]]:
    out = Batches()
    graph = build_pipeline(
        make_settings(),
        analyzer,
        metrics=metrics,
        stages=STAGES,
        gate=Gate(Authz([]), RefusalLog()),
        outputs=[out],
        inline=True,
    )
    if metrics is None:
        assert isinstance(graph.metrics.registry, Unexported)
    pipeline = graph.pipeline
    pipeline.start()
    for n, text in enumerate(TEXTS * 3):
        record = {"room": f"r{n % 2}", "id": f"c{n}", "ts": T0 + n, "text": text}
        record["user"] = {"id": f"u{n % 5}"}
        await pipeline.put(Comment.from_dict(record, received_at=T0), "test")
    await pipeline.drain()
    graph.tick()
    graph.publish_stats()
    await pipeline.close()
    assert graph.moderation is not None
    await graph.moderation.aclose()
    return [json.loads(json.dumps(r.to_dict())) for r in out.results if isinstance(r, Verdict)]


async def test_an_offline_graph_gives_what_a_graph_on_a_real_registry_gives(
    analyzer: Analyzer,
) -> None:
    quiet = await _verdicts(analyzer, None)
    real = await _verdicts(analyzer, Metrics(CollectorRegistry()))
    assert len(quiet) == len(TEXTS) * 3
    assert quiet == real

"""The Grafana dashboard only queries metrics the service really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from roomwatch.service import Service

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboards" / "roomwatch.json"
_SUFFIXES = ("_bucket", "_count", "_sum", "_total")


async def test_every_queried_metric_exists(service: Service) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    queried = {m for e in exprs for m in re.findall(r"roomwatch_[a-z_]+", e)}
    assert len(queried) >= 20

    families: set[str] = set()
    samples: set[str] = set()
    for family in service.metrics.registry.collect():
        families.add(family.name)
        samples.update(s.name for s in family.samples)

    def exported(name: str) -> bool:
        if name in samples or name in families:
            return True
        return any(name.endswith(s) and name[: -len(s)] in families for s in _SUFFIXES)

    missing = sorted(m for m in queried if not exported(m))
    assert not missing, f"dashboards/roomwatch.json queries metrics nobody exports: {missing}"

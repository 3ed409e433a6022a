"""The Grafana dashboard only queries metrics, and labels, the service really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from roomwatch.metrics import COMPONENT_KINDS
from roomwatch.service import Service
from tests.conftest import ingest

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboards" / "roomwatch.json"
_SUFFIXES = ("_bucket", "_count", "_sum", "_total")
_SELECTOR = re.compile(r"(roomwatch_[a-z_]+)(?:\{([^}]*)\})?")
_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
_BY = re.compile(r"\bby \(([^)]*)\)")


def _exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


async def test_every_queried_metric_exists(service: Service) -> None:
    # One record, so that the source's labelled samples exist too.
    await ingest(service, [{"room": "r1", "text": "这个多少钱", "id": "d-1"}])
    queried = {m for e in _exprs() for m, _ in _SELECTOR.findall(e)}
    assert len(queried) >= 15

    families: set[str] = set()
    samples: set[str] = set()
    #: Label names and values seen per exported sample name.
    labels: dict[str, dict[str, set[str]]] = {}
    for family in service.metrics.registry.collect():
        families.add(family.name)
        for s in family.samples:
            samples.add(s.name)
            for key, value in s.labels.items():
                for name in (s.name, family.name):
                    labels.setdefault(name, {}).setdefault(key, set()).add(value)

    def exported(name: str) -> bool:
        if name in samples or name in families:
            return True
        return any(name.endswith(s) and name[: -len(s)] in families for s in _SUFFIXES)

    missing = sorted(m for m in queried if not exported(m))
    assert not missing, f"dashboards/roomwatch.json queries metrics nobody exports: {missing}"

    # A component is known if any of its four counters has a sample.
    components = {
        v
        for name, by_key in labels.items()
        if name.startswith("roomwatch_component_")
        for v in by_key.get("component_id", ())
    }
    wrong: list[str] = []
    for expr in _exprs():
        grouped = {g.strip() for by in _BY.findall(expr) for g in by.split(",")} - {"le", ""}
        for metric, matchers in _SELECTOR.findall(expr):
            known = labels.get(metric)
            if known is None:
                continue  # no samples in this service (no webhook targets configured)
            for key in grouped - known.keys():
                wrong.append(f"{metric} has no label {key!r} (by): {expr}")
            for key, op, value in _MATCHER.findall(matchers):
                if key not in known:
                    wrong.append(f"{metric} has no label {key!r}: {expr}")
                elif key == "component_kind" and value not in COMPONENT_KINDS:
                    wrong.append(f"no component kind {value!r}: {expr}")
                elif key == "component_id" and op == "=" and value not in components:
                    wrong.append(f"no component {value!r}: {expr}")
                elif (
                    key == "component_id"
                    and op == "=~"
                    and not value.startswith("webhook/")  # no targets configured here
                    and not any(re.fullmatch(value, v) for v in components)
                ):
                    wrong.append(f"component_id=~{value!r} matches nothing: {expr}")
    assert not wrong, "\n".join(wrong)

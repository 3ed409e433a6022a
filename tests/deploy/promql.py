"""Reading the deployment files: PromQL names and labels, dashboards, metric declarations."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from roomwatch.metrics import COMPONENT_KINDS
from tests.deploy import pending

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
DEPLOY = ROOT / "deploy"
METRICS_PKG = ROOT / "src" / "roomwatch" / "metrics"

#: Sample suffixes of counters and histograms; names compare without them.
_SUFFIXES = ("_bucket", "_count", "_sum", "_created", "_total")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
_NAME = re.compile(r"\broomwatch_[a-z0-9_]+")
_SELECTOR = re.compile(r"\b(roomwatch_[a-z0-9_]+)\s*(?:\{([^}]*)\})?")
_MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
#: Labels Prometheus adds (job, instance) or a histogram has (le).
TARGET_LABELS = frozenset({"job", "instance", "le"})


def base_name(name: str) -> str:
    """``roomwatch_x_seconds_bucket`` → ``roomwatch_x_seconds``; counters lose ``_total``."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def metric_names(expr: str) -> set[str]:
    """The roomwatch_* names an expression queries (not inside string literals)."""
    return set(_NAME.findall(_STRING.sub('""', expr)))


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """``(metric, [(label, op, value), ...])`` for every roomwatch_* selector."""
    return [(m, _MATCHER.findall(body)) for m, body in _SELECTOR.findall(expr)]


def grouping_labels(expr: str) -> set[str]:
    """Labels named in ``by (...)`` / ``without (...)``, less le, job and instance."""
    found = {g.strip() for group in _GROUPING.findall(expr) for g in group.split(",")}
    return found - TARGET_LABELS - {""}


# -- TOML -------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    # TOML strings are JSON strings for what deploy/*.toml holds.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def dump_toml(doc: dict[str, dict[str, Any]]) -> str:
    """deploy/*.toml's shape: tables of plain values (no arrays of tables)."""
    lines: list[str] = []
    for table, body in doc.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in body.items()]
        lines.append("")
    return "\n".join(lines)


# -- dashboards -------------------------------------------------------------------


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARDS.glob("*.json"))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, the ones inside (collapsed) rows too."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL a dashboard runs: panel targets and template variable queries."""
    exprs = [t["expr"] for p in panels(dashboard) for t in p.get("targets", []) if "expr" in t]
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        query = var.get("query")
        exprs.append(query["query"] if isinstance(query, dict) else str(query))
    return exprs


def load_dashboard(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


# -- rules ----------------------------------------------------------------------


def rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text(encoding="utf-8"))
    return [rule for group in doc["groups"] for rule in group["rules"]]


# -- declarations -----------------------------------------------------------------

_KINDS = frozenset({"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"})


def declared_metrics() -> dict[str, set[str] | None]:
    """Base names declared in roomwatch/metrics/, with their label names (None: not literal).

    Read from the source, not a registry: a declaration that only a
    gateway or a worker instantiates is still found.
    """
    found: dict[str, set[str] | None] = {}
    nodes = [
        node
        for module in sorted(METRICS_PKG.glob("*.py"))
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
    ]
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        kind = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if kind not in _KINDS or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        labels_node: ast.expr | None = node.args[2] if len(node.args) > 2 else None
        for kw in node.keywords:
            if kw.arg == "labelnames":
                labels_node = kw.value
        labels: set[str] | None = set()
        if labels_node is not None:
            try:
                labels = set(ast.literal_eval(labels_node))
            except ValueError:
                labels = None  # built from a variable: not checked
        found[base_name(first.value)] = labels
    return found


# -- checking names and labels against real /metrics ------------------------------


@dataclass
class Scrape:
    """What one or more ``/metrics`` pages exported: base names and their labels."""

    #: base name → label name → values seen.
    labels: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    #: Base names with at least one sample (a labelled family may have none yet).
    sampled: set[str] = field(default_factory=set)

    def add(self, text: str) -> None:
        for family in text_string_to_metric_families(text):
            name = base_name(family.name)
            by_key = self.labels.setdefault(name, {})
            for sample in family.samples:
                self.sampled.add(name)
                for key, value in sample.labels.items():
                    by_key.setdefault(key, set()).add(value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and base_name(name) in self.labels

    def component_ids(self) -> set[str]:
        return {
            value
            for name, by_key in self.labels.items()
            if name.startswith("roomwatch_component_")
            for value in by_key.get("component_id", ())
        }


def _bases(names: Iterable[str]) -> set[str]:
    return {base_name(n) for n in names}


def name_problems(exprs: Iterable[str], served: Scrape, roles: Scrape | None) -> list[str]:
    """Every roomwatch_* name in ``exprs`` that nobody exports, one line each.

    A name must be in the real ``serve``'s /metrics, except the gateway/worker
    only ones (pending.ROLE_ONLY_METRICS: in the real roles' /metrics when
    scraped, else declared in roomwatch/metrics/) and the ones not merged yet
    (pending.METRICS, which tests/deploy/test_pending.py keeps honest).
    """
    declared = declared_metrics()
    not_merged = _bases(pending.METRICS)
    role_only = _bases(pending.ROLE_ONLY_METRICS)
    problems: list[str] = []
    for name in sorted(_bases(n for e in exprs for n in metric_names(e))):
        if name in not_merged and name not in declared:
            continue
        if name in role_only:
            if roles is not None and name not in roles:
                problems.append(f"{name}: not in a real gateway's or worker's /metrics")
            elif roles is None and name not in declared:
                problems.append(f"{name}: not declared in src/roomwatch/metrics/")
        elif name not in served:
            problems.append(f"{name}: not in a real `roomwatch serve`'s /metrics")
    return problems


def label_problems(exprs: Iterable[str], served: Scrape, roles: Scrape | None) -> list[str]:
    """Labels (matchers, by/without) and component ids no exported sample has."""
    declared = declared_metrics()
    components = served.component_ids() | (roles.component_ids() if roles else set())
    problems: list[str] = []
    for expr in exprs:
        grouped = grouping_labels(expr)
        for metric, matchers in selectors(expr):
            name = base_name(metric)
            known: set[str] | None = None
            for scrape in (served, roles):
                if scrape is not None and name in scrape.sampled:
                    known = set(scrape.labels[name])
                    break
            else:
                known = declared.get(name)  # None: not declared (yet) or not literal
            if known is None:
                continue
            problems += [f"{metric} has no label {k!r} (by): {expr}" for k in grouped - known]
            for key, op, value in matchers:
                if key in TARGET_LABELS:
                    continue
                if key not in known:
                    problems.append(f"{metric} has no label {key!r}: {expr}")
                elif key == "component_kind" and value not in COMPONENT_KINDS:
                    problems.append(f"no component kind {value!r}: {expr}")
                elif key == "component_id" and op == "=" and value not in components:
                    problems.append(f"no component {value!r}: {expr}")
                elif (
                    key == "component_id"
                    and op == "=~"
                    and not value.startswith("webhook/")  # no webhook targets configured
                    and not any(re.fullmatch(value, c) for c in components)
                ):
                    problems.append(f"component_id=~{value!r} matches nothing: {expr}")
    return problems

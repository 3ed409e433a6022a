"""tests/deploy/pending.py lists only what is really still missing.

Each entry there lets a deployment test accept something this branch lacks
(a command, a config table, a metric). Once it exists, the entry must go, so
that the real check runs: these tests say which entry to delete.
"""

from __future__ import annotations

import argparse
import dataclasses

from roomwatch.cli import build_parser
from roomwatch.config.load import ConfigFile
from tests.deploy import pending
from tests.deploy.promql import (
    base_name,
    dashboard_exprs,
    dashboard_files,
    declared_metrics,
    load_dashboard,
    metric_names,
    rules,
)


def _subcommands() -> set[str]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def test_pending_commands_are_still_missing() -> None:
    now_real = pending.COMMANDS & _subcommands()
    assert not now_real, f"roomwatch has {sorted(now_real)} now: delete them from COMMANDS"


def test_pending_config_tables_are_still_missing() -> None:
    tables = {f.name for f in dataclasses.fields(ConfigFile)}
    now_real = pending.CONFIG_TABLES & tables
    assert not now_real, f"the schema has {sorted(now_real)} now: delete them from CONFIG_TABLES"


def test_pending_metrics_are_still_undeclared() -> None:
    declared = declared_metrics()
    now_real = sorted(m for m in pending.METRICS if base_name(m) in declared)
    assert not now_real, f"roomwatch/metrics/ declares {now_real} now: delete them from METRICS"


def test_every_pending_name_is_used() -> None:
    exprs = [e for p in dashboard_files() for e in dashboard_exprs(load_dashboard(p))]
    exprs += [rule["expr"] for rule in rules()]
    used = {base_name(n) for e in exprs for n in metric_names(e)}
    unused = sorted(
        m for m in pending.METRICS | pending.ROLE_ONLY_METRICS if base_name(m) not in used
    )
    assert not unused, f"no dashboard or rule uses {unused}"

"""The Grafana dashboards query only metrics, and labels, that roomwatch really exports.

Every ``roomwatch_*`` name in a panel or a template variable must be in the
``/metrics`` of a real running ``roomwatch serve``, except the gateway/worker
only names and the not yet merged ones listed in tests/deploy/pending.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import RolePages
from tests.deploy.promql import (
    Scrape,
    base_name,
    dashboard_exprs,
    dashboard_files,
    label_problems,
    load_dashboard,
    metric_names,
    name_problems,
    panels,
    rules,
)

FILES = dashboard_files()


def test_the_overview_and_the_scale_dashboards_are_there() -> None:
    assert {p.name for p in FILES} >= {"roomwatch.json", "roomwatch-scale.json"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_dashboard_is_well_formed(path: Path) -> None:
    board = load_dashboard(path)
    assert board["title"] and board["uid"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["room"]["type"] == "query"
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids)), f"{path.name}: panel ids repeat"
    for panel in panels(board):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        # Every panel follows the datasource variable, so one import works anywhere.
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel
        assert panel["targets"], f"{path.name}: {panel['title']} queries nothing"
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_dashboard_uids_are_unique() -> None:
    uids = [load_dashboard(p)["uid"] for p in FILES]
    assert len(uids) == len(set(uids))


def test_the_issue_panels_are_there() -> None:
    """#16: comments/s by room and label, lag p50 and p99, stage latency, queue
    depth and consumer-group pending, rejects by reason, open alerts, clients."""
    exprs = "\n".join(e for p in FILES for e in dashboard_exprs(load_dashboard(p)))
    wanted = [
        "sum by (room, label) (rate(roomwatch_room_comments_total",
        "histogram_quantile(0.5, sum by (le, room) (rate(roomwatch_verdict_lag_seconds_bucket",
        "histogram_quantile(0.99, sum by (le, room) (rate(roomwatch_verdict_lag_seconds_bucket",
        "rate(roomwatch_stage_duration_seconds_bucket",
        "roomwatch_pipeline_queue_depth_comments",
        "max by (stream, group) (roomwatch_stream_pending_entries)",
        "sum by (component_id, reason) (rate(roomwatch_component_discarded_events_total",
        'ALERTS{alertstate="firing"',
        "roomwatch_hub_clients",
        "roomwatch_worker_batch_seconds_bucket",
    ]
    missing = [w for w in wanted if w not in exprs]
    assert not missing, missing


def test_the_room_variable_filters_the_room_panels() -> None:
    for path in FILES:
        for expr in dashboard_exprs(load_dashboard(path)):
            names = metric_names(expr)
            per_room = {"roomwatch_room_comments_total", "roomwatch_verdict_lag_seconds_bucket"}
            if names & per_room and "label_values" not in expr:
                assert 'room=~"$room"' in expr, f"{path.name}: {expr}"


async def test_every_queried_metric_exists(
    served_metrics: Scrape, role_metrics: Scrape | None
) -> None:
    exprs = [e for p in FILES for e in dashboard_exprs(load_dashboard(p))]
    assert len({n for e in exprs for n in metric_names(e)}) >= 30
    problems = name_problems(exprs, served_metrics, role_metrics)
    assert not problems, "dashboards query metrics nobody exports:\n" + "\n".join(problems)


async def test_every_queried_label_exists(
    served_metrics: Scrape, role_metrics: Scrape | None
) -> None:
    exprs = [e for p in FILES for e in dashboard_exprs(load_dashboard(p))]
    problems = label_problems(exprs, served_metrics, role_metrics)
    assert not problems, "\n".join(problems)


def test_worker_panels_query_what_a_worker_exports(role_pages: RolePages | None) -> None:
    """A panel or rule on the worker job reads names a real worker has samples of.

    The names are serve's too (the worker runs the same pipeline), so the
    check against serve alone would pass even if a worker never set them.
    """
    if role_pages is None:
        pytest.skip("SCRAPE_ROLES is off (tests/deploy/pending.py)")
    worker = role_pages.scrape("worker")
    exprs = [e for p in FILES for e in dashboard_exprs(load_dashboard(p))]
    exprs += [rule["expr"] for rule in rules()]
    on_worker = [e for e in exprs if 'job="roomwatch-worker"' in e]
    assert len(on_worker) >= 4, on_worker
    missing = sorted(
        f"{name}: {expr}"
        for expr in on_worker
        for name in {base_name(n) for n in metric_names(expr)}
        if name not in worker.sampled
    )
    assert not missing, "a worker exports no samples of:\n" + "\n".join(missing)


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each panel's query, as a recording rule (no server needed).

    Template variables only appear inside label matchers' strings, so the
    text Grafana sends differs only in a regex value.
    """
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: scripts/test installs Debian's prometheus package")
    exprs = sorted(
        {
            t["expr"]
            for path in FILES
            for panel in panels(load_dashboard(path))
            for t in panel.get("targets", [])
        }
    )
    assert all("$" not in e.replace('"$room"', "") for e in exprs), "a variable outside a string"
    group: dict[str, Any] = {"name": "dashboards", "rules": []}
    for i, expr in enumerate(exprs):
        group["rules"].append({"record": f"dashboard:query_{i}", "expr": expr})
    rules_file = tmp_path / "dashboards.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [group]}, allow_unicode=True))
    done = subprocess.run(
        [promtool, "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in done.stdout

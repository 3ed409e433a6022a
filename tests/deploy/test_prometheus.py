"""deploy/prometheus: the scrape config finds the stack, and every rule is sound.

promtool (Debian's prometheus package; scripts/test installs it) checks the
config and the rules, and runs rules_test.yml: made-up series for every alert,
with the alerts that must and must not fire. The roomwatch_* names and labels
the rules use are checked against real /metrics as the dashboards' are.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.promql import (
    DEPLOY,
    ROOT,
    Scrape,
    label_problems,
    metric_names,
    name_problems,
    rules,
)

PROM = DEPLOY / "prometheus"
RUNBOOK = ROOT / "docs" / "running-at-scale.md"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _jobs() -> dict[str, dict[str, Any]]:
    return {job["job_name"]: job for job in _yaml(PROM / "prometheus.yml")["scrape_configs"]}


def _config(role: str) -> dict[str, Any]:
    return tomllib.loads((DEPLOY / f"{role}.toml").read_text(encoding="utf-8"))


def _server(role: str) -> dict[str, Any]:
    server: dict[str, Any] = _config(role)["server"]
    return server


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: scripts/test installs Debian's prometheus package")
    return found


def test_the_gateway_is_scraped_where_it_listens() -> None:
    compose = _yaml(ROOT / "docker-compose.yml")
    (static,) = _jobs()["roomwatch-gateway"]["static_configs"]
    assert static["targets"] == [f"gateway:{_server('gateway')['port']}"]
    assert "gateway" in compose["services"]


def test_every_worker_replica_is_found_through_dns() -> None:
    compose = _yaml(ROOT / "docker-compose.yml")
    job = _jobs()["roomwatch-worker"]
    (sd,) = job["dns_sd_configs"]
    # A worker serves /metrics on streams.worker_port (its [server] port is unused).
    port = _config("worker")["streams"]["worker_port"]
    assert sd["type"] == "A" and sd["port"] == port
    # The name is the compose service's: Docker's DNS answers it with every replica.
    assert sd["names"] == ["worker"]
    worker = compose["services"]["worker"]
    assert str(port) in [str(p) for p in worker["expose"]]
    assert _server("worker")["host"] == "0.0.0.0"  # reachable from the Prometheus container
    assert "static_configs" not in job


def test_every_rule_file_exists() -> None:
    for name in _yaml(PROM / "prometheus.yml")["rule_files"]:
        assert (PROM / name).is_file(), name


def test_every_alert_is_documented_and_labelled() -> None:
    text = RUNBOOK.read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.*)$", text, flags=re.MULTILINE)
    }
    for rule in rules():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert {"summary", "description", "runbook"} <= rule["annotations"].keys()
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/running-at-scale.md" and anchor in anchors, rule["alert"]


def test_the_rules_cover_the_issue() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in rules()}
    used = {n for e in exprs.values() for n in metric_names(e)}
    assert {
        "roomwatch_verdict_lag_seconds_bucket",
        "roomwatch_stream_pending_entries",
        "roomwatch_stream_spool_entries",
        "roomwatch_redis_up",
        "roomwatch_component_discarded_events_total",
    } <= used
    assert 'up{job="roomwatch-worker"} == 0' in exprs["RoomwatchWorkerDown"]
    assert "absent(" in exprs["RoomwatchNoWorkers"]


def test_rules_select_only_jobs_that_are_scraped() -> None:
    jobs = _jobs().keys()
    for rule in rules():
        for job in re.findall(r'job\s*=\s*"([^"]*)"', rule["expr"]):
            assert job in jobs, f"{rule['alert']}: no scrape job {job!r}"


def test_every_alert_has_a_promtool_unit_test() -> None:
    cases = _yaml(PROM / "rules_test.yml")["tests"]
    tested = {t["alertname"] for case in cases for t in case.get("alert_rule_test", [])}
    firing = {
        t["alertname"]
        for case in cases
        for t in case.get("alert_rule_test", [])
        if t.get("exp_alerts")
    }
    alerts = {rule["alert"] for rule in rules()}
    assert alerts == tested, alerts ^ tested
    assert alerts == firing, f"never seen firing: {alerts - firing}"


async def test_every_metric_a_rule_uses_exists(
    served_metrics: Scrape, role_metrics: Scrape | None
) -> None:
    exprs = [rule["expr"] for rule in rules()]
    problems = name_problems(exprs, served_metrics, role_metrics)
    problems += label_problems(exprs, served_metrics, role_metrics)
    assert not problems, "\n".join(problems)


def test_promtool_checks_the_config_and_the_rules() -> None:
    promtool = _promtool()
    for argv in (
        [promtool, "check", "config", "prometheus.yml"],
        [promtool, "check", "rules", "rules.yml"],
    ):
        done = subprocess.run(argv, cwd=PROM, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    done = subprocess.run(
        [_promtool(), "test", "rules", "rules_test.yml"],
        cwd=PROM,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout

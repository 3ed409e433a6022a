"""A real Prometheus (Debian's) scrapes a real ``roomwatch serve`` with our config and rules.

deploy/prometheus/prometheus.yml is loaded as shipped, with only the targets
moved to this test's loopback ports: the gateway job scrapes the service
(serve exports everything a gateway does but the stream metrics), and the
worker job has no targets. Then every rule must evaluate without error, and
every dashboard query over served metrics must run and return series.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from roomwatch.service import Service
from tests.conftest import ingest
from tests.deploy import pending
from tests.deploy.promql import (
    DEPLOY,
    base_name,
    dashboard_files,
    load_dashboard,
    metric_names,
    panels,
    rules,
)
from tests.support.wait import wait_for

pytestmark = pytest.mark.slow

_SELECTOR = re.compile(r"\broomwatch_[a-z0-9_]+(?:\{[^}]*\})?")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(service_url: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [str(DEPLOY / "prometheus" / name) for name in config["rule_files"]]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["roomwatch-gateway"]["static_configs"] = [
        {"targets": [service_url.removeprefix("http://")]}
    ]
    del jobs["roomwatch-worker"]["dns_sd_configs"]
    jobs["roomwatch-worker"]["static_configs"] = []
    config["scrape_configs"] = [j for j in jobs.values() if j["job_name"] != "prometheus"]
    return config


@contextlib.asynccontextmanager
async def _prometheus(config: dict[str, Any], tmp: Path) -> AsyncIterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: scripts/test installs Debian's prometheus package")
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = _free_port()
    log = (tmp / "prometheus.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={path}",
        f"--storage.tsdb.path={tmp / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        stdout=log,
        stderr=log,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


async def _api(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    """The API's data, or None while Prometheus starts (refused, or 503 until ready)."""
    with contextlib.suppress(aiohttp.ClientConnectionError):
        async with session.get(url, params=params) as resp:
            if resp.status == 503:
                return None
            body = await resp.json()
            assert body["status"] == "success", body
            return body["data"]
    return None


def _served_panel_queries() -> list[str]:
    """Panel queries whose every roomwatch_* name a plain serve exports."""
    not_served = {base_name(m) for m in pending.METRICS | pending.ROLE_ONLY_METRICS}
    found: list[str] = []
    for path in dashboard_files():
        for panel in panels(load_dashboard(path)):
            for target in panel.get("targets", []):
                names = {base_name(n) for n in metric_names(target["expr"])}
                if names and not names & not_served:
                    found.append(target["expr"].replace('"$room"', '".*"'))
    return sorted(set(found))


async def test_rules_and_dashboards_run_on_a_real_prometheus(
    service: Service, tmp_path: Path
) -> None:
    config = _config(service.url)
    async with _prometheus(config, tmp_path) as prom, aiohttp.ClientSession() as session:

        async def query(expr: str) -> list[dict[str, Any]]:
            data = await _api(session, f"{prom}/api/v1/query", query=expr)
            return [] if data is None else list(data["result"])

        await wait_for(lambda: query('up{job="roomwatch-gateway"} == 1'), 60, what="a scrape")
        # Traffic between scrapes, so that rates and quantiles have samples.
        for i in range(3):
            await ingest(service, [{"room": "r1", "text": "这个多少钱", "id": f"live-{i}"}])
            scraped = f'count_over_time(up{{job="roomwatch-gateway"}}[1m]) > {i + 1}'
            await wait_for(partial(query, scraped), 30, what=f"scrape {i + 2}")

        # Every rule evaluated, none with an error (health "ok").
        async def evaluated() -> list[dict[str, Any]]:
            data = await _api(session, f"{prom}/api/v1/rules")
            if data is None:
                return []
            found = [r for g in data["groups"] for r in g["rules"]]
            return found if all(r.get("lastEvaluation", "").startswith("2") for r in found) else []

        loaded = await wait_for(evaluated, 30, what="every rule evaluated")
        assert {r["name"] for r in loaded} == {r["alert"] for r in rules()}
        bad = [(r["name"], r.get("lastError")) for r in loaded if r["health"] != "ok"]
        assert not bad, bad

        # Every dashboard query over served metrics runs, and finds series
        # unless one of its selectors has none here: the worker job (no
        # workers), or a labelled series this service never made (no
        # errors, no webhook targets, no discards...).
        async def explained(expr: str) -> bool:
            for selector in _SELECTOR.findall(expr):
                if not await query(f"count({selector})"):
                    return True
            return 'job="roomwatch-worker"' in expr

        exprs = _served_panel_queries()
        assert len(exprs) >= 25
        empty = [e for e in exprs if not await query(e)]
        unexplained = [e for e in empty if not await explained(e)]
        assert not unexplained, unexplained
        assert len(empty) < len(exprs) / 2, empty

"""docker-compose.yml: it parses, and everything it names exists.

No Docker daemon here, so the file is checked as data: each service's image
or the repo's Dockerfile, each roomwatch command against the CLI's own
parser, each mounted file on disk, each config through ``roomwatch
check-config``, and the wiring between the services (ports, DNS names,
Grafana's provisioning paths).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import socket
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from roomwatch.cli import build_parser, main
from roomwatch.config import load_settings
from roomwatch.config.load import ConfigFile
from roomwatch.config.streams import StreamsSettings
from roomwatch.streams.worker import worker_name
from tests.deploy import pending
from tests.deploy.promql import DEPLOY, ROOT

COMPOSE = ROOT / "docker-compose.yml"
ROOMWATCH_SERVICES = ("gateway", "worker")


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return doc


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _mounts(service: dict[str, Any]) -> dict[PurePosixPath, Path]:
    """Bind mounts of files in this checkout: container path → host path."""
    found: dict[PurePosixPath, Path] = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            found[PurePosixPath(target)] = ROOT / source
    return found


def _host_path(service: dict[str, Any], container_path: str) -> Path | None:
    """The file in this checkout that ``container_path`` is, through a bind mount."""
    wanted = PurePosixPath(container_path)
    for target, source in _mounts(service).items():
        if wanted == target:
            return source
        if target in wanted.parents:
            return source / wanted.relative_to(target)
    return None


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the CLI has no subcommands")


def test_the_stack_is_all_there() -> None:
    assert _compose()["name"] == "roomwatch"
    assert set(_services()) == {"redis", "gateway", "worker", "prometheus", "grafana"}


def test_every_service_has_an_existing_image_or_the_repo_dockerfile() -> None:
    for name, service in _services().items():
        build = service.get("build")
        if build is not None:
            context = ROOT / build["context"]
            assert context.resolve() == ROOT, f"{name}: builds from {context}"
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
            continue
        image = service["image"]
        # A published image, pinned to a release: never `latest`, never untagged.
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image}"
    assert _services()["redis"]["image"] == "redis:7"


def test_gateway_and_workers_run_the_same_image() -> None:
    images = {_services()[s]["image"] for s in ROOMWATCH_SERVICES}
    builds = [_services()[s]["build"] for s in ROOMWATCH_SERVICES]
    assert len(images) == 1 and builds[0] == builds[1]


@pytest.mark.parametrize("name", ROOMWATCH_SERVICES)
def test_every_command_is_a_roomwatch_subcommand(name: str) -> None:
    command = _services()[name]["command"]
    assert isinstance(command, list), "exec form: no shell between Docker and roomwatch"
    # The image's ENTRYPOINT is roomwatch: the command is its arguments.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^ENTRYPOINT \["roomwatch"\]$', dockerfile, flags=re.MULTILINE)
    sub = command[0]
    known = _subcommands()
    if sub not in known:
        assert sub in pending.COMMANDS, f"{name}: roomwatch has no command {sub!r}"
        assert command[1] == "--config", command
        return
    assert sub == name, f"the {name} service runs `roomwatch {sub}`"
    try:
        args = build_parser().parse_args(command)
    except SystemExit as exc:  # argparse's way of saying no
        raise AssertionError(f"{name}: roomwatch cannot parse {command}") from exc
    assert args.func is not None


@pytest.mark.parametrize("name", [*ROOMWATCH_SERVICES, "prometheus", "grafana"])
def test_every_mounted_file_exists(name: str) -> None:
    mounts = _mounts(_services()[name])
    assert mounts, f"{name} mounts nothing from the checkout"
    for target, source in mounts.items():
        assert source.exists(), f"{name}: {source} (mounted at {target}) is missing"


def _config_of(name: str) -> Path:
    service = _services()[name]
    command = service["command"]
    config = _host_path(service, command[command.index("--config") + 1])
    assert config is not None and config.is_file(), f"{name}: its --config is not mounted"
    assert config.parent == DEPLOY
    return config


@pytest.mark.parametrize("name", ROOMWATCH_SERVICES)
def test_every_config_passes_check_config(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``roomwatch check-config`` on the mounted file, as shipped."""
    config = _config_of(name)
    doc = tomllib.loads(config.read_text(encoding="utf-8"))
    tables = {f.name for f in dataclasses.fields(ConfigFile)}
    assert set(doc) <= tables, f"{config.name}: unknown tables {set(doc) - tables}"
    assert doc["streams"]["redis_url"] == "redis://redis:6379/0"  # the compose service's name
    status = main(["check-config", str(config)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith(f"ok: {config}")


def _streams(name: str) -> StreamsSettings:
    return load_settings(str(_config_of(name)), environ={}).streams


def test_the_gateway_and_the_workers_share_one_stream_layout() -> None:
    """Same server, key prefix and shard count, or records go where nobody reads."""
    gateway, worker = _streams("gateway"), _streams("worker")
    for key in ("redis_url", "prefix", "shards"):
        assert getattr(gateway, key) == getattr(worker, key), key


def test_every_worker_replica_gets_its_own_name() -> None:
    """Replicas share worker.toml and the command: neither may fix the name.

    The name is the consumer in the group and the owner of a shard's lease;
    two workers with one name would each take the other's leases for its own.
    Left empty it is the host name (a container's own) and the pid.
    """
    assert "--name" not in _services()["worker"]["command"]
    settings = _streams("worker")
    assert settings.worker_name == ""
    assert worker_name(settings).startswith(f"{socket.gethostname()}-")


def test_the_gateway_spools_onto_its_volume() -> None:
    spool = PurePosixPath(_streams("gateway").spool_path)
    volumes = [v.split(":") for v in _services()["gateway"]["volumes"]]
    assert any(
        not source.startswith("./") and PurePosixPath(target) in spool.parents
        for source, target, *_ in volumes
    ), f"{spool} is lost with the container"


def test_roomwatch_services_wait_for_a_healthy_redis() -> None:
    redis = _services()["redis"]
    assert redis["healthcheck"]["test"][:2] == ["CMD", "redis-cli"]
    for name in ROOMWATCH_SERVICES:
        assert _services()[name]["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_workers_scale_and_publish_no_port() -> None:
    worker = _services()["worker"]
    assert "ports" not in worker  # replicas would clash on the host
    replicas = str(worker["deploy"]["replicas"])
    assert re.fullmatch(r"\d+|\$\{WORKERS:-\d+\}", replicas), replicas
    # The image's healthcheck asks :8686/healthz, where a worker does not listen.
    port = _streams("worker").worker_port
    assert f"127.0.0.1:{port}/healthz" in " ".join(worker["healthcheck"]["test"])
    assert str(port) in [str(p) for p in worker["expose"]]


def test_published_ports_are_loopback_only() -> None:
    for name, service in _services().items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"


def test_the_gateway_publishes_the_port_it_listens_on() -> None:
    port = tomllib.loads(_config_of("gateway").read_text())["server"]["port"]
    assert f"127.0.0.1:{port}:{port}" in _services()["gateway"]["ports"]


def test_tokens_come_from_the_environment_not_the_file() -> None:
    gateway = _services()["gateway"]
    roles = ("HOST", "HELPER", "MODERATOR", "COMMS", "ADMIN", "INGEST")
    for role in roles:
        key = f"ROOMWATCH_{role}_TOKEN"
        assert gateway["environment"][key] == f"${{{key}:-}}"
    example = (ROOT / ".env.example").read_text()
    assert all(f"ROOMWATCH_{role}_TOKEN=\n" in example for role in roles)
    for name in ROOMWATCH_SERVICES:
        assert "tokens" not in tomllib.loads(_config_of(name).read_text())


def test_the_action_secret_reaches_the_gateway_and_every_worker_from_the_environment() -> None:
    """Both sign or check client actions with it; neither starts without it, and
    compose refuses to start the stack while it is unset (``:?``)."""
    services = _services()
    secret = "deadbeef" * 8
    for name in ROOMWATCH_SERVICES:
        value = services[name]["environment"]["ROOMWATCH_ACTION_SECRET"]
        assert value.startswith("${ROOMWATCH_ACTION_SECRET:?"), value
        assert "action_secret" not in tomllib.loads(_config_of(name).read_text())["streams"]
        streams = load_settings(
            str(_config_of(name)), environ={"ROOMWATCH_ACTION_SECRET": secret}
        ).streams
        assert streams.action_secret == secret
    assert "ROOMWATCH_ACTION_SECRET=\n" in (ROOT / ".env.example").read_text()


def test_prometheus_reads_the_mounted_config() -> None:
    prometheus = _services()["prometheus"]
    flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config = _host_path(prometheus, flag.partition("=")[2])
    assert config == DEPLOY / "prometheus" / "prometheus.yml"


def test_grafana_provisions_the_datasource_and_every_dashboard() -> None:
    grafana = _services()["grafana"]
    provisioning = _host_path(grafana, "/etc/grafana/provisioning")
    assert provisioning == DEPLOY / "grafana" / "provisioning"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in _services()["prometheus"]["ports"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "roomwatch.yml").read_text())[
        "providers"
    ]
    assert _host_path(grafana, provider["options"]["path"]) == ROOT / "dashboards"
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    home_file = _host_path(grafana, home)
    assert home_file is not None and home_file.is_file()


def test_the_gateway_prints_the_tokens_it_made_up(role_pages: Any) -> None:
    # .env leaves role tokens empty and running-at-scale.md sends the operator
    # to `docker compose logs gateway` for them: the gateway must print them
    # (it printed only its address), and never the token it was given.
    if role_pages is None:
        pytest.skip("SCRAPE_ROLES is off (tests/deploy/pending.py)")
    log = role_pages.gateway_log
    assert "roomwatch gateway" in log and "is running on http://127.0.0.1:" in log, log
    for page in ("/host#token=", "/moderator#token="):
        assert page in log, log
    assert "deploy-test-ingest-token" not in log

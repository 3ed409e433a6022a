"""The Dockerfile installs what the README's set-up installs, and it builds.

No Docker daemon here, so the build is re-enacted: the wheel is built from a
context holding exactly what the Dockerfile COPYs (as the image's
``pip install .`` does), and must carry every asset pyproject.toml packs. That
is the check that caught ``mappings/`` missing from the image.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from roomwatch.cli import build_parser
from roomwatch.config.sections import ServerSettings
from tests.deploy.promql import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _copied() -> list[str]:
    """Checkout paths the Dockerfile COPYs into the build stage."""
    sources: list[str] = []
    for line in re.findall(r"^COPY (.+)$", DOCKERFILE, flags=re.MULTILINE):
        sources += line.split()[:-1]
    return sources


def _packed() -> dict[str, str]:
    """What pyproject.toml puts in the wheel: checkout path → path in the wheel."""
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]
    packed: dict[str, str] = dict(wheel["force-include"])
    for package in wheel["packages"]:
        packed[package] = package.removeprefix("src/")
    return packed


def test_everything_the_wheel_packs_is_copied() -> None:
    copied = set(_copied())
    missing = [path for path in _packed() if path.split("/")[0] not in copied]
    assert not missing, f"the Dockerfile does not COPY {missing}: pip install . fails"
    assert {"pyproject.toml", "README.md", "LICENSE"} <= copied


def test_nothing_copied_is_ignored_by_dockerignore() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in _copied():
        hits = [p for p in patterns if fnmatch.fnmatch(path, p.removeprefix("**/"))]
        assert not hits, f"{path} is copied but .dockerignore drops it ({hits})"


def test_the_install_is_pinned_as_the_readme_setup_is() -> None:
    # scripts/_setup.sh installs with -c constraints.txt; so does the image.
    assert "constraints.txt" in _copied()
    assert re.search(r"pip install -c constraints\.txt '\.\[redis\]'", DOCKERFILE)
    # The gateway and worker roles import redis: the image must carry the extra.
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "redis" in extras["optional-dependencies"]
    python = re.search(r"^FROM python:(\d+\.\d+)", DOCKERFILE, flags=re.MULTILINE)
    assert python is not None
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={python.group(1)}"  # the oldest Python we support, as tested


def test_the_default_command_parses_and_the_healthcheck_port_is_served() -> None:
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, flags=re.MULTILINE)
    assert cmd is not None
    argv = [a.strip().strip('"') for a in cmd.group(1).strip("[]").split(",")]
    args = build_parser().parse_args(argv)
    assert args.func.__name__ == "cmd_serve" and args.host == "0.0.0.0"
    port = ServerSettings().port
    assert f"EXPOSE {port}" in DOCKERFILE
    assert f"http://127.0.0.1:{port}/healthz" in DOCKERFILE


@pytest.mark.slow
def test_the_wheel_builds_from_the_docker_context(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for path in _copied():
        source = ROOT / path
        if source.is_dir():
            shutil.copytree(source, context / path, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / path)
    out = tmp_path / "wheel"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("roomwatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for target in _packed().values():
        assert any(n.startswith(f"{target}/") for n in names), f"the wheel lacks {target}/"

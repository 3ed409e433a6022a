"""scripts/_setup.sh waits for another apt's dpkg lock instead of failing at once,
and scripts/test installs the fonts the browser tests need (#12.10)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_apt_install_waits_for_the_dpkg_lock(tmp_path: Path) -> None:
    # Stand-ins for apt-get and dpkg on PATH record how they were called; the
    # real ones would need root and the network.
    log = tmp_path / "calls"
    for name, body in (
        ("apt-get", f'echo "apt-get $*" >> {log}'),
        ("dpkg", "exit 1"),  # every package is missing
        ("sudo", '"$@"'),
    ):
        stub = tmp_path / name
        stub.write_text(f"#!/bin/sh\n{body}\n")
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    subprocess.run(
        ["bash", "-c", f"source {ROOT / 'scripts/_setup.sh'} && apt_install chromium"],
        env=env,
        check=True,
    )
    calls = log.read_text().splitlines()
    assert [c.split()[3] for c in calls] == ["update", "install"]
    assert all("-o DPkg::Lock::Timeout=300" in c for c in calls), calls


def test_the_test_script_installs_cjk_and_emoji_fonts_with_chromium() -> None:
    script = (ROOT / "scripts/test").read_text()
    line = next(ln for ln in script.splitlines() if "apt_install chromium" in ln)
    assert {"fonts-noto-cjk", "fonts-noto-color-emoji"} <= set(line.split())


def test_the_test_script_installs_promtool() -> None:
    # tests/deploy/test_prometheus.py runs promtool, from Debian's prometheus.
    script = (ROOT / "scripts/test").read_text()
    assert any(line.startswith("  apt_install prometheus") for line in script.splitlines())
    assert "systemctl disable --now prometheus.service" in script

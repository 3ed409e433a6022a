"""Helpers the benchmarks share for running `roomwatch serve` as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_serve(config: Path, stderr: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """`roomwatch serve --config CONFIG` from this checkout, logging warnings and up."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    argv = ["serve", "--config", str(config), "--log-level", "WARNING"]
    return subprocess.Popen(
        [sys.executable, "-m", "roomwatch", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )

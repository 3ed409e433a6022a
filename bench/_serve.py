"""Helpers the benchmarks share for running `roomwatch serve` as a subprocess."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import aiohttp

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


def start_serve(
    config: Path,
    stderr: IO[bytes] | int | None = None,
    *,
    log_level: str = "WARNING",
    nofile: int | None = None,
) -> subprocess.Popen[bytes]:
    """`roomwatch serve --config CONFIG` from this checkout.

    ``nofile`` raises the soft RLIMIT_NOFILE of the child (up to its hard limit).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))

    def preexec() -> None:
        import resource

        assert nofile is not None
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = nofile if hard == resource.RLIM_INFINITY else min(nofile, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    argv = ["serve", "--config", str(config), "--log-level", log_level]
    return subprocess.Popen(
        [sys.executable, "-m", "roomwatch", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        preexec_fn=preexec if nofile is not None else None,
    )


async def wait_healthy(
    session: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    """Wait until the service answers /healthz; fail if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"roomwatch serve exited with {proc.returncode} while starting")
        try:
            async with session.get(f"{url}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError("roomwatch serve did not answer /healthz")

"""What a server says when it starts (its address, and where each role goes)
and when it is told to stop."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable

from roomwatch.config import Settings
from roomwatch.version import __version__

__all__ = ["print_urls", "stop_logged"]

logger = logging.getLogger("roomwatch.cli")


def stop_logged(role: str, sig: signal.Signals, stop: Callable[[], None]) -> None:
    """A stop signal for ``role`` (gateway, worker), said in the log as serve says it."""
    logger.info("%s: %s: shutting down", role, sig.name)
    stop()


def print_urls(url: str, settings: Settings, *, title: str, note: str = "") -> None:
    """Say where the service runs: each page with its role's token when
    roomwatch made the token up for this run (a configured one is the
    operator's secret and never printed), /metrics, /healthz, /ingest."""

    def first(role: str) -> str | None:
        tokens = settings.tokens_for(role)
        return tokens[0].token if tokens else None

    out = sys.stdout
    print(f"{title} {__version__} is running on {url}", file=out)
    if note:
        print(note, file=out)
    generated = set(settings.generated_roles)
    for role, path, what in (
        ("host", "/host", "host view (question queue)"),
        ("helper", "/host", "helper view (claim / answer)"),
        ("moderator", "/moderator", "moderator view (flags)"),
        ("comms", "/moderator", "comms view (alerts, grievances)"),
        ("admin", "/moderator", "admin (moderator view)"),
        ("admin", "/host", "admin (host view)"),
    ):
        secret = first(role)
        if secret is None:
            continue
        # Only tokens roomwatch made up for this run are shown; configured
        # tokens are the operator's secrets and never printed.
        link = f"{url}{path}#token={secret}" if role in generated else f"{url}{path}"
        print(f"  {what:<30} {link}", file=out)
    print(f"  {'metrics':<30} {url}/metrics", file=out)
    print(f"  {'health':<30} {url}/healthz", file=out)
    ingest = first("ingest")
    if ingest is not None and "ingest" in generated:
        print(
            f"  POST records to {url}/ingest with 'Authorization: Bearer {ingest}'",
            file=out,
        )
    print("Press Ctrl-C to stop.", file=out, flush=True)

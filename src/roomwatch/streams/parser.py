"""The ``gateway`` and ``worker`` commands' parsers (their code loads only when they run)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from roomwatch.argtypes import port

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    for name, text in (
        ("gateway", "sources, web app, hub and webhooks; the stages run in workers (Redis)"),
        ("worker", "the stages, fed from Redis Streams by a gateway"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", "-c", help="TOML config file ([streams] names the Redis server)")
        p.add_argument("--redis", help="override streams.redis_url")
        p.add_argument(
            "--port", type=port, help="override server.port (worker: streams.worker_port)"
        )
        p.add_argument("--name", help="override streams.worker_name")
        p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
        p.set_defaults(func=_run, role=name)


def _run(args: argparse.Namespace) -> int:
    import asyncio
    import dataclasses
    import importlib.util

    from roomwatch.config import load_settings
    from roomwatch.core.errors import RoomwatchError

    if importlib.util.find_spec("redis") is None:
        raise RoomwatchError(
            f"{args.role} needs the Redis client: pip install 'roomwatch[redis]'"
            " (or pip install -c constraints.txt -e '.[redis]' in a checkout)"
        )

    settings = load_settings(args.config, environ=os.environ)
    streams = settings.streams
    if args.redis:
        streams = dataclasses.replace(streams, redis_url=args.redis)
    if args.name:
        streams = dataclasses.replace(streams, worker_name=args.name)
    if args.port is not None:
        if args.role == "worker":
            streams = dataclasses.replace(streams, worker_port=args.port)
        else:
            settings = dataclasses.replace(
                settings, server=dataclasses.replace(settings.server, port=args.port)
            )
    settings = dataclasses.replace(settings, streams=streams)
    if args.role == "worker":
        from roomwatch.compose.worker import run_worker

        return asyncio.run(run_worker(settings))
    from roomwatch.compose.gateway import run_gateway

    return asyncio.run(run_gateway(settings))

"""The one ticker keeps going when a step fails, and doesn't flood the log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from roomwatch.authz import RefusalLog
from roomwatch.compose import serve
from tests.support.wait import wait_for


class _FailingGraph:
    moderation = None
    triage = None

    def __init__(self) -> None:
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        raise RuntimeError("broken stage")

    def publish_stats(self) -> None:
        pass


async def test_a_failing_step_is_logged_once_then_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph = _FailingGraph()
    caplog.set_level(logging.ERROR, logger=serve.logger.name)
    task = asyncio.create_task(serve.run_ticker(graph, RefusalLog()))  # type: ignore[arg-type]
    try:
        # Five failed steps: the ticker carried on after each.
        await wait_for(lambda: graph.ticks >= 5, 10, what="five ticks")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    failures = [r for r in caplog.records if "ticker's step failed" in r.getMessage()]
    assert len(failures) == 1  # the first, with its traceback; the rest held back
    assert failures[0].exc_info is not None


def test_held_back_failures_are_counted_in_the_next_report(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger=serve.logger.name)
    throttled = serve._Throttled("step failed")
    for now in (0.0, 1.0, 2.0, 61.0):
        try:
            raise RuntimeError("x")
        except RuntimeError:
            throttled.log(now)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["step failed", "step failed (and 2 more times since the last report)"]

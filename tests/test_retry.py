"""The one retry policy (roomwatch.retry), as the source and the webhooks use it."""

from __future__ import annotations

import pytest

from roomwatch.core.errors import ConfigError
from roomwatch.retry import RetryPolicy


class Flaky(Exception):
    pass


class Broken(Exception):
    pass


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def _run(policy: RetryPolicy, failures: list[BaseException], **kw: object) -> int:
    """Attempts made until one succeeds, raising ``failures`` in turn first."""
    attempts = 0
    async for attempt in policy.retrying(Flaky, **kw):  # type: ignore[arg-type]
        with attempt:
            attempts += 1
            if failures:
                raise failures.pop(0)
    return attempts


def test_delay_doubles_up_to_the_cap_and_jitter_only_shortens_it() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.5)
    assert [policy.delay(n, 0.0) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    assert [policy.delay(n, 1.0) for n in range(1, 5)] == [0.5, 1, 2, 4]
    assert policy.delay(10_000, 0.0) == 8.0  # no overflow, however long it has failed


async def test_retries_with_growing_waits_until_it_succeeds() -> None:
    sleep = Sleeps()
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=30.0, jitter=0.5)
    attempts = await _run(policy, [Flaky(), Flaky(), Flaky()], sleep=sleep, rand=lambda: 0.5)
    assert attempts == 4
    assert sleep.delays == [0.75, 1.5, 3.0]


async def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    sleep = Sleeps()
    errors: list[BaseException] = [Flaky("one"), Flaky("two"), Flaky("three")]
    with pytest.raises(Flaky, match="three"):
        await _run(RetryPolicy(max_attempts=3), errors, sleep=sleep)
    assert len(sleep.delays) == 2


async def test_other_errors_are_not_retried() -> None:
    sleep = Sleeps()
    with pytest.raises(Broken):
        await _run(RetryPolicy(), [Broken()], sleep=sleep)
    assert sleep.delays == []


async def test_forever_until_give_up() -> None:
    sleep = Sleeps()
    closing = False

    async def counting_sleep(delay: float) -> None:
        nonlocal closing
        await sleep(delay)
        closing = len(sleep.delays) >= 50

    policy = RetryPolicy(max_attempts=None, base_delay=0.1, max_delay=2.0, jitter=0.0)
    with pytest.raises(Flaky):
        await _run(policy, [Flaky()] * 1000, sleep=counting_sleep, give_up=lambda: closing)
    assert len(sleep.delays) == 50
    assert sleep.delays[:5] == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert set(sleep.delays[5:]) == {2.0}


async def test_retry_number_restarts_the_doubling() -> None:
    sleep = Sleeps()
    policy = RetryPolicy(max_attempts=None, base_delay=1.0, max_delay=60.0, jitter=0.0)
    # As after a success at attempt 3: attempts 4, 5, ... count from 1 again.
    attempts = await _run(
        policy,
        [Flaky()] * 5,
        sleep=sleep,
        retry_number=lambda s: s.attempt_number - (3 if s.attempt_number > 3 else 0),
    )
    assert attempts == 6
    assert sleep.delays == [1, 2, 4, 1, 2]


async def test_min_wait_lengthens_a_wait_but_not_past_the_cap() -> None:
    sleep = Sleeps()
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, jitter=0.0)
    await _run(
        policy,
        [Flaky(5), Flaky(99), Flaky()],
        sleep=sleep,
        min_wait=lambda exc: exc.args[0] if exc.args else None,
    )
    assert sleep.delays == [5, 10, 4]


def test_bad_policies_are_config_errors() -> None:
    for bad in (
        {"max_attempts": 0},
        {"base_delay": -1},
        {"max_delay": -1},
        {"jitter": 1.5},
    ):
        with pytest.raises(ConfigError):
            RetryPolicy(**bad)  # type: ignore[arg-type]

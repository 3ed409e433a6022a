"""The one retry policy: jittered exponential backoff, run by tenacity.

Everything in roomwatch that tries again after a failure uses it: the
``websocket`` source reconnecting to its upstream (forever, until closed)
and the webhook sinks redelivering an alert (a bounded number of attempts).

The delay before retry ``n`` (1-based) is ``min(max_delay, base_delay *
2**(n-1))`` scaled by a random factor in ``[1 - jitter, 1]``, so a crowd of
clients that failed together spreads out, and none waits longer than
``max_delay``. :meth:`RetryPolicy.retrying` turns the policy into a
:class:`tenacity.AsyncRetrying` loop::

    async for attempt in policy.retrying(TransientError):
        with attempt:
            await send()
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_never,
)
from tenacity.stop import stop_base

from roomwatch.core.errors import ConfigError

__all__ = ["RetryPolicy"]

# 2**32 times the base delay is past any sane max_delay; the exponent stops there.
_MAX_DOUBLINGS = 32


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them.

    ``max_attempts=None`` retries forever (until ``give_up`` says stop).
    """

    max_attempts: int | None = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if (
            (self.max_attempts is not None and self.max_attempts < 1)
            or self.base_delay < 0
            or self.max_delay < 0
        ):
            raise ConfigError("retry policy: max_attempts >= 1 and delays >= 0")
        if not 0 <= self.jitter <= 1:
            raise ConfigError("retry policy: jitter must be between 0 and 1")

    def delay(self, retry: int, rand: float) -> float:
        """The wait before retry ``retry`` (1-based), for ``rand`` drawn from [0, 1)."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** min(retry - 1, _MAX_DOUBLINGS))
        return float(raw * (1.0 - self.jitter * rand))

    def retrying(
        self,
        retry_on: type[BaseException] | tuple[type[BaseException], ...],
        *,
        rand: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        give_up: Callable[[], bool] | None = None,
        retry_number: Callable[[RetryCallState], int] | None = None,
        min_wait: Callable[[BaseException], float | None] | None = None,
        before_sleep: Callable[[RetryCallState], None] | None = None,
    ) -> AsyncRetrying:
        """A tenacity loop that retries ``retry_on`` exceptions under this policy.

        Any other exception ends the loop at once; when the attempts run out
        (or ``give_up()`` is true after a failure) the last exception is
        raised as it was. ``retry_number`` says which retry is next (default:
        the attempt number, so the first retry waits about ``base_delay``); a
        caller that counts a success in between as a fresh start returns a
        smaller number. ``min_wait`` may lengthen one wait (a Retry-After
        header), never past ``max_delay``.
        """

        def wait(state: RetryCallState) -> float:
            number = retry_number(state) if retry_number is not None else state.attempt_number
            delay = self.delay(max(number, 1), rand())
            error = state.outcome.exception() if state.outcome is not None else None
            if min_wait is not None and error is not None:
                floor = min_wait(error)
                if floor is not None:
                    delay = max(delay, min(floor, self.max_delay))
            return delay

        stop: stop_base = (
            stop_never if self.max_attempts is None else stop_after_attempt(self.max_attempts)
        )
        if give_up is not None:
            stop = stop | _StopIf(give_up)
        return AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception_type(retry_on),
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )


class _StopIf(stop_base):
    """Stop when ``give_up()`` is true (the caller is closing)."""

    def __init__(self, give_up: Callable[[], bool]) -> None:
        self._give_up = give_up

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._give_up()

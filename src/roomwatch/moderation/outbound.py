"""The "moderation actions" interface: how hide / mute / ban leave roomwatch.

An implementation of :class:`Outbound` takes one :class:`ModerationAction`
and says what happened in an :class:`ActionOutcome`. It never raises for a
delivery problem: a failure is an outcome (``ok=False``) that the dashboard
shows and the store keeps with status ``failed``.

Two implementations ship:

* :class:`LogOutbound` (the default) writes the action to the log and
  succeeds. Use it when a person carries the action out on the platform.
* :class:`WebhookOutbound` POSTs the action as JSON to a URL, retrying
  connection errors, timeouts, 429 and 5xx a bounded number of times with
  exponential backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import aiohttp

from roomwatch.config.moderation import ModerationConfig
from roomwatch.retry import RetryPolicy
from roomwatch.sinks.webhook import retry_after, retryable
from roomwatch.version import __version__

__all__ = [
    "OUTBOUND_ACTIONS",
    "ActionOutcome",
    "LogOutbound",
    "ModerationAction",
    "Outbound",
    "WebhookOutbound",
    "build_outbound",
]

logger = logging.getLogger(__name__)

#: Actions that leave the system, and the compensating action of each.
OUTBOUND_ACTIONS: Final = {
    "hide": "unhide",
    "mute": "unmute",
    "ban": "unban",
    "unhide": "hide",
    "unmute": "mute",
    "unban": "ban",
}


@dataclass(frozen=True, slots=True)
class ModerationAction:
    """One action for the platform. ``id`` is the store's action id."""

    id: int
    action: str
    room: str
    actor: str
    ts: float
    comment_id: str | None = None
    comment_text: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    duration_s: int | None = None
    #: For a compensating action (unhide, unmute, unban): the action it undoes.
    reverses: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "room": self.room,
            "comment": {"id": self.comment_id, "text": self.comment_text},
            "user": {"id": self.user_id, "name": self.user_name},
            "duration_s": self.duration_s,
            "actor": self.actor,
            "ts": self.ts,
            "reverses": self.reverses,
        }


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    ok: bool
    attempts: int = 1
    error: str | None = None
    #: The receiver's HTTP status, when there was one.
    status: int | None = None


class Outbound(Protocol):
    name: str

    async def execute(self, action: ModerationAction) -> ActionOutcome: ...

    async def close(self) -> None: ...


class LogOutbound:
    """Log the action and report success."""

    name = "log"

    def __init__(self) -> None:
        self.executed: list[ModerationAction] = []

    async def execute(self, action: ModerationAction) -> ActionOutcome:
        logger.info(
            "moderation action %s #%d room=%s comment=%s user=%s by %s",
            action.action,
            action.id,
            action.room,
            action.comment_id,
            action.user_id,
            action.actor,
        )
        self.executed.append(action)
        if len(self.executed) > 1000:
            del self.executed[:500]
        return ActionOutcome(ok=True)

    async def close(self) -> None:
        return None


@dataclass(slots=True)
class WebhookOutbound:
    """POST each action as JSON to ``url`` with bounded retries."""

    url: str
    timeout_s: float = 5.0
    retries: int = 2
    backoff_s: float = 0.5
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rand: Callable[[], float] = random.random
    name: str = "webhook"
    _session: aiohttp.ClientSession | None = None

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": f"roomwatch/{__version__}",
                    **self.headers,
                },
            )
        return self._session

    async def execute(self, action: ModerationAction) -> ActionOutcome:
        body = json.dumps(action.to_dict(), ensure_ascii=False).encode()
        session = await self._client()
        error = "not attempted"
        status: int | None = None
        attempts = 0
        # The alert webhooks' policy: jittered doubling, Retry-After honoured.
        policy = RetryPolicy(max_attempts=self.retries + 1, base_delay=self.backoff_s)
        wait: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                delay = policy.delay(attempt, self.rand())
                if wait is not None:
                    delay = max(delay, min(wait, policy.max_delay))
                await self.sleep(delay)
            attempts += 1
            wait = None
            try:
                async with session.post(
                    self.url, data=body, headers={"Idempotency-Key": f"roomwatch-{action.id}"}
                ) as resp:
                    status = resp.status
                    wait = retry_after(resp.headers.get("Retry-After"))
                    await resp.read()
            except TimeoutError:
                error = "timeout"
                status = None
                continue
            except aiohttp.ClientError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
                status = None
                continue
            if 200 <= status < 300:
                return ActionOutcome(ok=True, attempts=attempts, status=status)
            error = f"HTTP {status}"
            if not retryable(status):
                break  # the receiver refused it; retrying will not help
        logger.warning("moderation webhook failed for action #%d: %s", action.id, error)
        return ActionOutcome(ok=False, attempts=attempts, error=error, status=status)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def build_outbound(config: ModerationConfig) -> Outbound:
    if config.outbound == "webhook":
        return WebhookOutbound(
            config.webhook_url,
            timeout_s=config.webhook_timeout_s,
            retries=config.webhook_retries,
            backoff_s=config.webhook_backoff_s,
            headers=dict(config.webhook_headers),
        )
    return LogOutbound()

"""What stages return, and who they answer: plain values, no hub.

A stage takes results (or an action message) and returns :class:`Publish`
events; the composition root (:mod:`roomwatch.compose`) forwards them to the
WebSocket hub. An acting client is an :class:`Actor`: its token and the
rooms it wants. The hub's ``Client`` is one; a test passes a small
dataclass. So ``stages`` know nothing of sinks, the store or the web layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from roomwatch.config import Token

__all__ = ["Actor", "Emit", "Handled", "Publish"]


@dataclass(frozen=True, slots=True)
class Publish:
    """Send ``message`` on ``channel`` to the clients that want ``room`` (None: everyone)."""

    channel: str
    room: str | None
    message: dict[str, Any]


class Actor(Protocol):
    """Who sent an action, and which rooms it may see."""

    @property
    def token(self) -> Token: ...

    def wants(self, room: str | None) -> bool: ...


@dataclass(frozen=True, slots=True)
class Handled:
    """An action's answer for the acting client, and what every client sees."""

    reply: dict[str, Any]
    events: list[Publish] = field(default_factory=list)


#: Where a stage's events go when they happen outside a call that returns
#: them (moderation's outbound deliveries finish in the background).
Emit = Callable[[Iterable[Publish]], None]

"""The ``flag`` stage: verdicts the moderator must see, on the ``moderator`` channel.

Every abuse, spam and grievance verdict is published with its comment, scores
and reasons. Grievances are shown so a person can answer them; they are
never hidden by roomwatch. The last ``backlog`` flagged verdicts per room are
kept so a moderator who connects sees recent history at once, and at most
``total`` across rooms: past it the least recently active room loses its
oldest (counted through ``on_discard``). The stage
returns :class:`~roomwatch.stages.events.Publish` events; it knows no hub.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.stages.events import Actor, Publish

__all__ = ["FLAGGED_LABELS", "FlagStage"]

FLAGGED_LABELS: Final = frozenset({"abuse", "spam", "grievance"})


class FlagStage:
    stage = "flag"

    def __init__(
        self,
        *,
        backlog: int = 200,
        total: int | None = None,
        on_discard: Callable[[int], object] | None = None,
    ) -> None:
        self._backlog_size = backlog
        self._max_total = total
        self._on_discard = on_discard
        #: Per room, least recently active first.
        self._recent: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._total = 0

    @property
    def kept(self) -> int:
        """Verdicts kept for new moderators, in all rooms."""
        return self._total

    def __call__(self, results: Sequence[Result]) -> list[Publish]:
        out: list[Publish] = []
        for r in results:
            if isinstance(r, Verdict) and r.label in FLAGGED_LABELS:
                verdict = r.to_dict()
                room = r.comment.room
                recent = self._recent.get(room)
                if recent is None:
                    recent = self._recent[room] = deque(maxlen=self._backlog_size)
                else:
                    self._recent.move_to_end(room)
                if len(recent) < self._backlog_size:
                    self._total += 1
                recent.append(verdict)
                out.append(Publish("moderator", room, {"type": "verdict", "verdict": verdict}))
        if self._max_total is not None and self._total > self._max_total:
            self._trim(self._max_total)
        return out

    def _trim(self, cap: int) -> None:
        dropped = 0
        while self._total > cap:
            room, oldest = next(iter(self._recent.items()))
            oldest.popleft()
            self._total -= 1
            dropped += 1
            if not oldest:
                del self._recent[room]
        if self._on_discard is not None:
            self._on_discard(dropped)

    def snapshot(self, client: Actor) -> Iterable[dict[str, Any]]:
        for room, recent in self._recent.items():
            if client.wants(room):
                yield {"type": "snapshot", "room": room, "verdicts": list(recent)}

"""The ``flag`` stage: verdicts the moderator must see, on the ``moderator`` channel.

Every abuse, spam and grievance verdict is published with its comment, scores
and reasons. Grievances are shown so a person can answer them; they are
never hidden by roomwatch. The last ``backlog`` flagged verdicts per room are
kept so a moderator who connects sees recent history at once. The stage
returns :class:`~roomwatch.stages.events.Publish` events; it knows no hub.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, Final

from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.stages.events import Actor, Publish

__all__ = ["FLAGGED_LABELS", "FlagStage"]

FLAGGED_LABELS: Final = frozenset({"abuse", "spam", "grievance"})


class FlagStage:
    stage = "flag"

    def __init__(self, *, backlog: int = 200) -> None:
        self._backlog_size = backlog
        self._recent: dict[str, deque[dict[str, Any]]] = {}

    def __call__(self, results: Sequence[Result]) -> list[Publish]:
        out: list[Publish] = []
        for r in results:
            if isinstance(r, Verdict) and r.label in FLAGGED_LABELS:
                verdict = r.to_dict()
                room = r.comment.room
                recent = self._recent.get(room)
                if recent is None:
                    recent = self._recent[room] = deque(maxlen=self._backlog_size)
                recent.append(verdict)
                out.append(Publish("moderator", room, {"type": "verdict", "verdict": verdict}))
        return out

    def snapshot(self, client: Actor) -> Iterable[dict[str, Any]]:
        for room, recent in self._recent.items():
            if client.wants(room):
                yield {"type": "snapshot", "room": room, "verdicts": list(recent)}

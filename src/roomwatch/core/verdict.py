"""A verdict: one comment with everything the stages concluded about it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment

__all__ = ["Verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    comment: Comment
    normalized: Normalized
    tokens: tuple[str, ...]
    label: str
    scores: Mapping[str, float]
    sentiment: float
    reasons: tuple[str, ...]
    model: str
    #: Hashes of the lexicons and the config that produced this verdict.
    lexicons: str = ""
    config: str = ""
    #: End-to-end lag in seconds: the wall time the verdict left the
    #: pipeline minus the record's ts. Live records only; None in a replay,
    #: whose record times are not wall times (so replay output is unchanged).
    lag_s: float | None = None

    def with_lag(self, lag_s: float) -> Verdict:
        """This verdict stamped with its lag (positional: a quarter of
        ``dataclasses.replace``'s cost, on the event loop once per verdict)."""
        return Verdict(
            self.comment,
            self.normalized,
            self.tokens,
            self.label,
            self.scores,
            self.sentiment,
            self.reasons,
            self.model,
            self.lexicons,
            self.config,
            lag_s,
        )

    @property
    def confidence(self) -> float:
        return self.scores.get(self.label, 0.0)

    def to_dict(self) -> dict[str, Any]:
        c = self.comment
        out: dict[str, Any] = {
            "id": c.id,
            "room": c.room,
            "ts": c.ts,
            "text": c.text,
            "label": self.label,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "sentiment": round(self.sentiment, 4),
            "reasons": list(self.reasons),
            "model": self.model,
            "lexicons": self.lexicons,
            "config": self.config,
        }
        user = c.user.to_dict()
        if user:
            out["user"] = user
        if c.kind != "comment":
            out["kind"] = c.kind
        if c.amount is not None:
            out["amount"] = c.amount
        if self.lag_s is not None:
            out["lag_s"] = round(self.lag_s, 3)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

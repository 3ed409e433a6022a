"""A verdict: one comment with everything the stages concluded about it."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment

__all__ = ["Verdict"]


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self,
        comment: Comment,
        normalized: Normalized,
        tokens: tuple[str, ...],
        label: str,
        scores: Mapping[str, float],
        sentiment: float,
        reasons: tuple[str, ...],
        model: str,
        lexicons: str = "",
        config: str = "",
        lag_s: float | None = None,
    ) -> None:
        # What the generated __init__ does, through the slots' own setters: a
        # frozen dataclass's object.__setattr__ calls cost three times as
        # much, and every comment gets a verdict.
        _S_COMMENT(self, comment)
        _S_NORMALIZED(self, normalized)
        _S_TOKENS(self, tokens)
        _S_LABEL(self, label)
        _S_SCORES(self, scores)
        _S_SENTIMENT(self, sentiment)
        _S_REASONS(self, reasons)
        _S_MODEL(self, model)
        _S_LEXICONS(self, lexicons)
        _S_CONFIG(self, config)
        _S_LAG_S(self, lag_s)

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
        """One compact JSON line: exactly ``json.dumps(to_dict(), ensure_ascii=False,
        separators=(",", ":"))``, written by orjson (several times faster) where the
        two agree byte for byte, else by ``json``.

        The dict is built here rather than by :meth:`to_dict` (one call less per
        verdict), and the rounded scores and sentiment are checked together:
        ``round(v, 4)`` of a finite ``v`` is 0 or at least 1e-4, so they agree
        exactly when their sum is finite (a NaN or infinity makes it non-finite;
        so does an overflowing sum, which only sends a line to ``json``).
        """
        c = self.comment
        scores = dict(zip(self.scores, map(round, self.scores.values(), _FOURS), strict=False))
        sentiment = round(self.sentiment, 4)
        out: dict[str, Any] = {
            "id": c.id,
            "room": c.room,
            "ts": c.ts,
            "text": c.text,
            "label": self.label,
            "scores": scores,
            "sentiment": sentiment,
            "reasons": list(self.reasons),
            "model": self.model,
            "lexicons": self.lexicons,
            "config": self.config,
        }
        fast = math.isfinite(sum(scores.values(), sentiment)) and _alike(c.ts)
        user = c.user
        if user.id is not None or user.name is not None or user.level is not None:
            out["user"] = user.to_dict()
        if c.kind != "comment":
            out["kind"] = c.kind
        if c.amount is not None:
            out["amount"] = c.amount
            fast = fast and _alike(c.amount)
        if self.lag_s is not None:
            out["lag_s"] = lag = round(self.lag_s, 3)
            fast = fast and _alike(lag)
        if fast:
            try:
                return orjson.dumps(out).decode()
            except TypeError:  # a lone surrogate, an int past 64 bits, a numpy float
                pass
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


_FOURS = itertools.repeat(4)
_slot: Any = Verdict  # (the slots' member descriptors, untyped)
_S_COMMENT = _slot.comment.__set__
_S_NORMALIZED = _slot.normalized.__set__
_S_TOKENS = _slot.tokens.__set__
_S_LABEL = _slot.label.__set__
_S_SCORES = _slot.scores.__set__
_S_SENTIMENT = _slot.sentiment.__set__
_S_REASONS = _slot.reasons.__set__
_S_MODEL = _slot.model.__set__
_S_LEXICONS = _slot.lexicons.__set__
_S_CONFIG = _slot.config.__set__
_S_LAG_S = _slot.lag_s.__set__


def _alike(x: float) -> bool:
    """Whether orjson writes the number ``x`` as ``json.dumps`` does.

    They agree on zero and every finite float of magnitude 1e-4 or more;
    below that json writes ``1e-05`` where orjson writes ``0.00001``, and
    orjson writes NaN and infinities as ``null``. (Rounded scores are 0 or at
    least 1e-4, so only a non-finite one or a tiny ts or amount falls back.)
    """
    return x == 0.0 or 1e-4 <= abs(x) < math.inf

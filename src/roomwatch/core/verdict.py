"""A verdict: one comment with everything the stages concluded about it."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Any, TypeVar, cast

import numpy as np
import orjson

from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment

__all__ = ["Verdict", "json_lines", "json_lines_utf8", "new_verdict", "round4"]


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
        :func:`json_lines` writes a batch's lines (the same bytes) faster.
        """
        scores = dict(zip(self.scores, map(round, self.scores.values(), _FOURS), strict=False))
        sentiment = round(self.sentiment, 4)
        return self._encode(scores, sentiment, math.isfinite(sum(scores.values(), sentiment)))

    def _encode(self, scores: dict[str, float], sentiment: float, finite: bool) -> str:
        """The line, given the rounded scores and sentiment and whether they are all finite."""
        out, fast = self._fields(scores, sentiment, finite)
        if fast:
            try:
                return orjson.dumps(out).decode()
            except TypeError:  # a lone surrogate, an int past 64 bits, a numpy float
                pass
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))

    def _encode_utf8(
        self, scores: dict[str, float], sentiment: float, finite: bool, errors: str = "strict"
    ) -> bytes:
        """:meth:`_encode`'s line as UTF-8: orjson's own bytes where it writes the line."""
        out, fast = self._fields(scores, sentiment, finite)
        if fast:
            try:
                return orjson.dumps(out)
            except TypeError:
                pass
        return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8", errors)

    def _fields(
        self, scores: dict[str, float], sentiment: float, finite: bool
    ) -> tuple[dict[str, Any], bool]:
        """The line's fields, and whether orjson writes them as ``json.dumps`` does."""
        c = self.comment
        out: dict[str, Any] = {
            "id": c.id,
            "room": c.room,
            "ts": c.ts,
            "text": c.text,
            "label": self.label,
            "scores": scores,
            "sentiment": sentiment,
            "reasons": self.reasons,  # (a tuple: both encoders write an array)
            "model": self.model,
            "lexicons": self.lexicons,
            "config": self.config,
        }
        fast = finite and _alike(c.ts)
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
        return out, fast


class _Draft:
    """A :class:`Verdict` being made, for the analyser's one per comment.

    The same slots, set as plain attributes (a quarter of the cost of the
    slots' setters that :meth:`Verdict.__init__` must call, past the frozen
    ``__setattr__``), then made a :class:`Verdict` by assigning its class
    (CPython allows it between classes of the same slots). What it makes is
    a :class:`Verdict` like any other (``tests/core/test_verdict_draft.py``).
    """

    __slots__ = Verdict.__slots__  # (the very names, in order: same layout)

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
        self.comment = comment
        self.normalized = normalized
        self.tokens = tokens
        self.label = label
        self.scores = scores
        self.sentiment = sentiment
        self.reasons = reasons
        self.model = model
        self.lexicons = lexicons
        self.config = config
        self.lag_s = lag_s
        self.__class__ = Verdict  # type: ignore[assignment]


#: ``Verdict(...)`` (the same arguments, the same object) at half the cost.
new_verdict: type[Verdict] = cast("type[Verdict]", _Draft)


def json_lines(verdicts: Sequence[Verdict]) -> list[str]:
    """``[v.to_json() for v in verdicts]``, the same strings, in about half the time.

    Python's ``round(v, 4)`` of the scores and sentiment took half of
    :meth:`Verdict.to_json`'s time; here they are rounded for the whole batch
    at once by :func:`round4`, which gives exactly ``round``'s results.
    """
    return _lines(verdicts, Verdict._encode, _decode)


def json_lines_utf8(verdicts: Sequence[Verdict], errors: str = "strict") -> list[bytes]:
    """:func:`json_lines`' lines encoded as UTF-8, for a file written as bytes:
    orjson's bytes as they are, not decoded to ``str`` and encoded back.

    ``errors``: the text file's error handler, for the lines only ``json``
    writes (a lone surrogate): ``strict`` raises ``UnicodeEncodeError`` as
    writing such a line to the file does, ``surrogateescape`` writes what the
    file writes. (orjson refuses surrogates, so its lines never hold one.)
    """
    return _lines(verdicts, partial(Verdict._encode_utf8, errors=errors), _as_bytes)


_L = TypeVar("_L", str, bytes)


def _lines(
    verdicts: Sequence[Verdict],
    encode: Callable[[Verdict, dict[str, float], float, bool], _L],
    finish: Callable[[bytes], _L],
) -> list[_L]:
    """The batch's lines: ``encode(v, rounded scores, rounded sentiment, finite)``.

    The common line (finite rounded values, a ts orjson writes as ``json``
    does, no amount, no lag) is built here, as :meth:`Verdict._fields` builds
    it, and orjson's bytes go through ``finish`` (none for bytes): a per-line
    method call or two less (``tests/core/test_verdict_lines_fast.py`` keeps
    the plain loop). Any other line, or one orjson refuses, goes to ``encode``.

    Each verdict's rounded scores and sentiment come as one row: when every
    verdict has as many scores (one model: as usual) the rows are one
    reshape of the rounded batch, and its finite check one ``all`` per row.
    """
    if not verdicts:
        return []
    flat: list[float] = []
    extend = flat.extend
    append = flat.append
    for v in verdicts:
        extend(v.scores.values())
        append(v.sentiment)
    rounded = round4(np.array(flat, dtype=np.float64))
    sizes = [n + 1 for n in map(len, map(_SCORES, verdicts))]
    finite: list[bool]
    rows: list[list[float]]
    if min(sizes) == max(sizes):
        table = rounded.reshape(len(verdicts), sizes[0])
        finite = np.isfinite(table).all(axis=1).tolist()
        rows = table.tolist()
    else:
        ends = np.cumsum(np.array(sizes, dtype=np.int64))
        starts = ends - np.array(sizes, dtype=np.int64)
        # Whether every rounded value of a verdict is finite (then orjson may write it).
        bad = np.zeros(len(flat) + 1, dtype=np.int64)
        np.cumsum(~np.isfinite(rounded), out=bad[1:])
        finite = (bad[ends] - bad[starts] == 0).tolist()
        as_list: list[float] = rounded.tolist()
        rows = [as_list[i:j] for i, j in zip(starts.tolist(), ends.tolist(), strict=True)]
    dumps = orjson.dumps
    raw = finish is _as_bytes
    inf = math.inf
    out: list[_L] = []
    add = out.append
    for v, row, ok in zip(verdicts, rows, finite, strict=True):
        # (row: the rounded scores in the scores' order, then the sentiment;
        # zip stops at the scores' end)
        c = v.comment
        ts = c.ts
        if ok and c.amount is None and v.lag_s is None and (ts == 0.0 or 1e-4 <= abs(ts) < inf):
            fields: dict[str, Any] = {
                "id": c.id,
                "room": c.room,
                "ts": ts,
                "text": c.text,
                "label": v.label,
                "scores": dict(zip(v.scores, row)),  # noqa: B905
                "sentiment": row[-1],
                "reasons": v.reasons,
                "model": v.model,
                "lexicons": v.lexicons,
                "config": v.config,
            }
            user = c.user
            if user.id is not None or user.name is not None or user.level is not None:
                fields["user"] = user.to_dict()
            if c.kind != "comment":
                fields["kind"] = c.kind
            try:
                add(dumps(fields) if raw else finish(dumps(fields)))  # type: ignore[arg-type]
                continue
            except TypeError:  # a lone surrogate, an int past 64 bits: encode decides
                pass
        add(encode(v, dict(zip(v.scores, row)), row[-1], ok))  # noqa: B905
    return out


def _decode(line: bytes) -> str:
    return line.decode()


def _as_bytes(line: bytes) -> bytes:
    return line


#: Below this magnitude ``x * 1e4`` is within 1e-6 of the real product
#: (under 1e10, a float's ulp is at most 2**-19).
_ROUND_LIMIT = 1e6
#: ``x * 1e4`` this close to a half needs Python's ``round`` to tell the way.
_HALF_MARGIN = 1e-4


def round4(values: np.ndarray) -> np.ndarray:
    """``round(x, 4)`` of every float in ``values``, exactly as Python rounds.

    Python rounds the exact decimal value of ``x`` to 4 places (half to even)
    and returns the float nearest that decimal, ``k / 10**4`` for an integer
    ``k``: IEEE division of the exact integer ``k`` by the exact ``1e4`` gives
    that nearest float too. ``k`` is ``floor(t)`` or ``floor(t) + 1`` for
    ``t = |x| * 1e4``, and the rounding error of that product (under 1e-6
    here) can only change which one when ``t``'s fraction lies within
    :data:`_HALF_MARGIN` of a half: those values, NaN, infinities and
    magnitudes of :data:`_ROUND_LIMIT` or more go through ``round`` itself.
    The sign is copied back, so ``-0.00001`` gives ``-0.0`` as ``round`` does.
    """
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        t = np.abs(x) * 1e4
        k = np.floor(t)
        frac = t - k
        k += frac > 0.5
        out = np.copysign(k / 1e4, x)
        slow = ~(np.abs(x) < _ROUND_LIMIT) | (np.abs(frac - 0.5) <= _HALF_MARGIN)
    if slow.any():
        for i in np.flatnonzero(slow).tolist():
            out[i] = round(float(x[i]), 4)
    return out


_FOURS = itertools.repeat(4)
_SCORES = attrgetter("scores")
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

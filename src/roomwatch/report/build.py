"""What happened in a show, gathered from the pipeline's verdicts in bounded memory.

:class:`ReportBuilder` is a pipeline output (``builder(results)``). It keeps
only summaries whose size does not grow with the number of comments:

* per-minute counts by label and the mean sentiment (record time; a long
  recording merges neighbouring buckets, so at most ``max_buckets`` are held);
* per room and minute the mean sentiment with the few most negative
  comments, so the worst moments can be shown with what was said;
* grievance topics: grievances grouped by their salient tokens (weighted by
  how rare each token is among grievances) into at most ``max_topics``
  clusters; the smallest cluster is dropped when a new one does not fit;
* abuse and spam per account, keyed by a hash of (room, user id), never the
  id itself, in a pruned top-k counter;
* raids: near-identical abuse or spam text from many accounts within
  ``raid_gap_s`` seconds of each other;
* the host's folded questions (a :class:`~roomwatch.core.queue.QuestionQueue`
  per room, as the live service runs them), each with its count and the
  minute it was asked most;
* alert events handed to :meth:`ReportBuilder.add_alert`.

:meth:`ReportBuilder.report` returns a frozen :class:`Report`; rendering it is
:mod:`roomwatch.report.html`'s job.

The parts live in their own modules: :mod:`~roomwatch.report.moments`,
:mod:`~roomwatch.report.topics`, :mod:`~roomwatch.report.accounts`,
:mod:`~roomwatch.report.raids` (core's raid grouping),
:mod:`~roomwatch.report.questions` and :mod:`~roomwatch.report.alert_rows`;
the values are in :mod:`~roomwatch.report.values` and the bounds in
:mod:`~roomwatch.report.config`. This module keeps the timeline and the
per-room counts and hands each verdict to the parts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from roomwatch.core.classify import LABELS
from roomwatch.core.queue import QueueConfig
from roomwatch.core.result import Result, Skipped
from roomwatch.core.verdict import Verdict
from roomwatch.report.accounts import Accounts
from roomwatch.report.alert_rows import AlertRows, SupportsToDict
from roomwatch.report.config import ReportConfig
from roomwatch.report.counters import clip
from roomwatch.report.moments import Moments
from roomwatch.report.questions import Questions
from roomwatch.report.raids import Raids
from roomwatch.report.topics import Topics
from roomwatch.report.values import (
    Bucket,
    Report,
    RoomSummary,
    Sample,
)

__all__ = ["ReportBuilder"]

_LABEL_INDEX: Final = {label: i for i, label in enumerate(LABELS)}
_N: Final = len(LABELS)
# Kinds whose text a viewer typed (the others are enter / like / gift / system).
_TYPED_KINDS: Final = frozenset({"comment", "superchat"})
_QUESTION_KINDS: Final = frozenset({"comment", "superchat", "gift"})
_FLAGGED: Final = frozenset({"abuse", "spam"})


class ReportBuilder:
    """A pipeline output that summarises a show for :func:`render_html`."""

    stage = "report"

    def __init__(
        self,
        config: ReportConfig | None = None,
        *,
        queue: QueueConfig | None = None,
        queue_for: Callable[[str], QueueConfig] | None = None,
        topic_seeds: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.config = config if config is not None else ReportConfig()
        queue_config = queue if queue is not None else QueueConfig()
        cfg = self.config
        self._total = 0
        self._typed = 0
        self._sent_sum = 0.0
        self._labels = [0] * _N
        #: Records with no typed text (gifts, entries, likes): not comments.
        self._events: dict[str, int] = {}
        self._skipped: dict[str, int] = {}
        self._first: float | None = None
        self._last: float | None = None
        # Timeline: bucket index -> [count per label..., sentiment sum, typed].
        self._width = 60.0
        self._buckets: dict[int, list[float]] = {}
        # Rooms: room -> [count per label..., first ts, last ts].
        self._rooms: dict[str, list[float]] = {}
        self.moments = Moments(cfg, self._sample)
        self.topics = Topics(cfg, self._sample, topic_seeds)
        self.accounts = Accounts(cfg)
        self.raids = Raids(cfg)
        self.questions = Questions(queue_config, cfg.max_questions, queue_for)
        self.alerts = AlertRows(cfg.max_alerts)

    # -- pipeline output ---------------------------------------------------

    def __call__(self, results: Sequence[Result]) -> None:
        newest: dict[str, float] = {}
        for r in results:
            if isinstance(r, Skipped):
                self._skipped[r.reason] = self._skipped.get(r.reason, 0) + 1
                continue
            self.add(r)
            room = r.comment.room
            if r.comment.ts > newest.get(room, -math.inf):
                newest[room] = r.comment.ts
        for room, ts in newest.items():
            self.questions.tick(room, ts)

    def add(self, v: Verdict) -> None:
        """Take one verdict (the pipeline output calls this for each)."""
        c = v.comment
        ts = c.ts
        label = v.label
        li = _LABEL_INDEX.get(label, _N - 1)
        self._total += 1
        if self._first is None or ts < self._first:
            self._first = ts
        if self._last is None or ts > self._last:
            self._last = ts
        typed = c.kind in _TYPED_KINDS and bool(v.normalized.text.strip())
        if not typed:
            # A gift, an entry or a like is no comment: it is counted apart,
            # not as chatter nor in the comments per minute (a gift's
            # message may still ask a question, below).
            kind = c.kind if c.kind not in _TYPED_KINDS else "empty"
            self._events[kind] = self._events.get(kind, 0) + 1
            if label == "question" and c.kind in _QUESTION_KINDS:
                self.questions.add(v)
            return
        self._labels[li] += 1

        key = int(ts // self._width)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = [0.0] * (_N + 2)
            if len(self._buckets) > self.config.max_buckets:
                self._coarsen()
                key = int(ts // self._width)
                bucket = self._buckets[key]
        bucket[li] += 1
        if typed:
            bucket[_N] += v.sentiment
            bucket[_N + 1] += 1

        room = self._rooms.get(c.room)
        if room is None:
            room = self._rooms[c.room] = [0.0] * _N + [ts, ts]
        room[li] += 1
        if ts < room[_N]:
            room[_N] = ts
        if ts > room[_N + 1]:
            room[_N + 1] = ts

        if typed:
            self._typed += 1
            self._sent_sum += v.sentiment
            self.moments.add(v)
        if label == "grievance" and typed:
            self.topics.add(v)
        elif label in _FLAGGED and typed:
            self.raids.add(v, self.accounts.add(v))
        elif label == "question" and c.kind in _QUESTION_KINDS:
            self.questions.add(v)

    def add_alert(self, event: Mapping[str, Any] | SupportsToDict) -> None:
        """Record an alert event (``open`` / ``update`` / ``resolve`` / ``ack``).

        Takes the hub's wire form ``{"type", "ts", "alert": {...}}``, an
        :class:`~roomwatch.core.alerts.AlertEvent`, or a flat dict with at
        least ``id``, ``severity``, ``detector``, ``room``, ``started_at`` (or
        ``ts``) and ``summary``. Malformed events are ignored and counted in
        ``extra["alerts_ignored"]``.
        """
        self.alerts.add(event)

    # -- pieces --------------------------------------------------------------

    def _sample(self, v: Verdict) -> Sample:
        c = v.comment
        return Sample(clip(c.text, self.config.sample_chars), c.room, c.ts, v.label, v.sentiment)

    def _coarsen(self) -> None:
        """Double the bucket width, merging neighbours."""
        self._width *= 2
        merged: dict[int, list[float]] = {}
        for key, values in self._buckets.items():
            target = merged.get(key // 2)
            if target is None:
                merged[key // 2] = values
            else:
                for i, x in enumerate(values):
                    target[i] += x
        self._buckets = merged

    # -- the result ------------------------------------------------------------

    def report(self) -> Report:
        """A frozen summary of everything seen so far (can be called again later)."""
        cfg = self.config
        width = self._width
        buckets = tuple(
            Bucket(
                start=key * width,
                width=width,
                counts=MappingProxyType({label: int(values[i]) for i, label in enumerate(LABELS)}),
                typed=int(values[_N + 1]),
                sentiment=values[_N] / values[_N + 1] if values[_N + 1] else None,
            )
            for key, values in sorted(self._buckets.items())
        )
        rooms_sorted = sorted(self._rooms.items(), key=lambda kv: -sum(kv[1][:_N]))
        rooms = tuple(
            RoomSummary(
                room=name,
                total=int(sum(values[:_N])),
                counts=MappingProxyType({lb: int(values[i]) for i, lb in enumerate(LABELS)}),
                first_ts=values[_N],
                last_ts=values[_N + 1],
            )
            for name, values in rooms_sorted[:50]
        )
        return Report(
            total=self._total,
            typed=self._typed,
            labels=MappingProxyType({lb: self._labels[i] for i, lb in enumerate(LABELS)}),
            skipped=MappingProxyType(dict(sorted(self._skipped.items()))),
            events=MappingProxyType(dict(sorted(self._events.items()))),
            first_ts=self._first,
            last_ts=self._last,
            bucket_s=width,
            buckets=buckets,
            rooms=rooms,
            rooms_other=max(len(rooms_sorted) - 50, 0),
            moments=self.moments.worst(),
            topics=self.topics.summaries(),
            grievances=self.topics.grievances,
            grievances_unclustered=self.topics.unclustered,
            abuse_accounts=len(self.accounts.distinct),
            abuse_accounts_capped=self.accounts.capped,
            accounts=self.accounts.top(),
            raids=self.raids.summaries(),
            questions=self.questions.summaries(),
            alerts=self.alerts.rows(),
            sentiment=self._sent_sum / self._typed if self._typed else None,
            extra=MappingProxyType(
                {
                    "alerts_ignored": self.alerts.ignored,
                    "moment_min_comments": cfg.moment_min_comments,
                    "raid_min_accounts": cfg.raid_min_accounts,
                    "raid_gap_s": cfg.raid_gap_s,
                }
            ),
        )

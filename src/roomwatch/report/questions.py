"""The host's folded questions: a :class:`~roomwatch.core.queue.QuestionQueue`
per room, as the live service runs them, each question with its count and
the minute it was asked most."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

from roomwatch.core.queue import Item, QuestionQueue, QueueConfig, QueueEvent
from roomwatch.core.verdict import Verdict
from roomwatch.report.values import Question

__all__ = ["Questions"]


class _Tracked:
    """A folded question seen on the queue's events."""

    __slots__ = ("item", "minute", "minute_count", "peak_count", "peak_minute", "seen_count")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.seen_count = 0
        self.minute = -1
        self.minute_count = 0
        self.peak_minute = -1
        self.peak_count = 0

    def observe(self, item: Item, ts: float) -> None:
        self.item = item
        gained = item.count - self.seen_count
        self.seen_count = item.count
        if gained <= 0:
            return
        minute = int(ts // 60)
        if minute != self.minute:
            self.minute = minute
            self.minute_count = 0
        self.minute_count += gained
        if self.minute_count > self.peak_count:
            self.peak_count = self.minute_count
            self.peak_minute = minute

    def freeze(self) -> Question:
        item = self.item
        peak_minute = self.peak_minute if self.peak_minute >= 0 else int(item.first_seen // 60)
        return Question(
            room=item.room,
            text=item.text,
            wordings=item.wordings,
            count=item.count,
            askers=item.askers,
            first_seen=item.first_seen,
            last_seen=item.last_seen,
            peak_start=peak_minute * 60.0,
            peak_count=max(self.peak_count, 1),
            state=item.state,
            slots=item.slots,
        )


class Questions:
    def __init__(
        self,
        queue: QueueConfig,
        max_questions: int,
        config_for: Callable[[str], QueueConfig] | None = None,
    ) -> None:
        #: Each room's host-queue settings (its products and queue keys), as
        #: the live host queue folds with them.
        self._config_for = config_for or (lambda room: queue)
        self._max = max_questions
        self._queues: dict[str, QuestionQueue] = {}
        self._tracked: dict[tuple[str, str], _Tracked] = {}
        self._done: list[tuple[int, int, Question]] = []  # heap by count
        self._done_seq = 0

    def add(self, v: Verdict) -> None:
        """Take one question (a comment, superchat or gift labelled so)."""
        c = v.comment
        ts = c.ts
        q = self._queues.get(c.room)
        if q is None:
            q = self._queues[c.room] = QuestionQueue(c.room, self._config_for(c.room))
        confidence = v.scores.get("question", 0.0)
        self._on_events(q.add(c, v.normalized.text, v.tokens, confidence, ts), ts)

    def tick(self, room: str, ts: float) -> None:
        """Let ``room``'s queue reach record time ``ts``."""
        q = self._queues.get(room)
        if q is not None:
            self._on_events(q.tick(ts), ts)

    def _on_events(self, events: Iterable[QueueEvent], ts: float) -> None:
        for event in events:
            if event.item is not None:
                key = (event.room, event.item.id)
                tracked = self._tracked.get(key)
                if tracked is None:
                    tracked = self._tracked[key] = _Tracked(event.item)
                tracked.observe(event.item, ts)
            elif event.type == "removed" and event.item_id is not None:
                gone = self._tracked.pop((event.room, event.item_id), None)
                if gone is not None:
                    self._finish(gone.freeze())

    def _finish(self, question: Question) -> None:
        self._done_seq += 1
        entry = (question.count, -self._done_seq, question)
        if len(self._done) < self._max:
            heapq.heappush(self._done, entry)
        else:
            heapq.heappushpop(self._done, entry)

    def summaries(self) -> tuple[Question, ...]:
        """The 50 most asked questions, answered or still queued."""
        questions = [q for _, _, q in self._done]
        for tracked in self._tracked.values():
            questions.append(tracked.freeze())
        questions.sort(key=lambda q: (-q.count, -q.askers, q.first_seen, q.room, q.text))
        return tuple(questions[:50])

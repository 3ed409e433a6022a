"""The pipeline of the offline commands, run in the caller's thread.

``classify`` and ``replay --speed 0`` (and ``report``, ``replay --compare``)
read their input as fast as they can, and nothing else runs on their event
loop: no clients, no timers. For them the consumer task and the worker
thread of :class:`~roomwatch.pipeline.Pipeline` only cost: every record went
through an ``asyncio.Queue`` twice, and the analyser's thread and the event
loop took turns with the GIL, batch after batch (about a quarter of
``classify``'s CPU on the real barrage, ``bench/README.md``).

:class:`InlinePipeline` keeps everything else of the pipeline (the same
admission, de-duplication, skips, analysis, outputs and metrics, by the same
methods) but runs it inline: an accepted record joins the open batch, and a
batch of ``batch_max`` is analysed and sent to the outputs at once, by the
call that filled it. :meth:`cut` sends a smaller batch on (``classify`` does
after each chunk it reads, so a person typing gets each answer at once), and
:meth:`drain` sends the last one. The outputs see the same results in the same
order as with the consumer task; only the batch boundaries differ. Verdicts
and alerts don't depend on them (``tests/test_inline_pipeline.py`` compares
whole replays); a report's question-rate peaks, ticked once per batch, can
differ by one between batch sizes, as they did between runs with the
consumer task, whose batches were cut by time (inline, a rerun gives the
same report).

Live commands (``serve``, ``worker``) and paced replays keep the consumer
task: there the batches are cut by time (``batch_wait_ms``), and the event
loop must stay free while a batch is analysed. With analysis processes
(``pipeline.analysis_processes``), the pooled consumer runs instead, since it
overlaps the children's analysis with the outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.pipeline import Pipeline

__all__ = ["FLAT_OUT_BATCH", "InlinePipeline"]

#: The batch ``replay --speed 0`` analyses (or ``pipeline.batch_max``, if
#: larger; ``classify`` takes its ``--batch``). The stages cost a little per
#: batch besides per comment (numpy's fixed costs in the segmenter and the
#: classifier): over the 100,000 real comments, batches of 2,048 took about
#: 0.15 CPU-s less than batches of 512; at 4,096 the batch's objects no
#: longer fit the cache and the verdict lines cost more than the stages saved
#: (``bench/README.md``, seventh pass). Nothing waits on a flat-out batch,
#: and verdicts and alerts don't depend on where batches are cut.
FLAT_OUT_BATCH: Final = 2048


class InlinePipeline(Pipeline):
    """:class:`~roomwatch.pipeline.Pipeline` without a consumer task or thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._pool is not None:
            raise ValueError("an inline pipeline analyses in the caller's thread, not in processes")
        #: Records (and skip markers) of the batch not yet analysed.
        self._open: list[Any] = []
        self._limit = max(1, self._settings.batch_max)
        self._metrics.track_queue_depth(lambda: len(self._open))

    @property
    def queued(self) -> int:
        return len(self._open)

    @property
    def batch_limit(self) -> int:
        """The batch an offer fills and sends on (``pipeline.batch_max`` unless set)."""
        return self._limit

    @batch_limit.setter
    def batch_limit(self, n: int) -> None:
        self._limit = max(1, n)

    async def offer(
        self, comment: Comment, source: str, *, admitted: bool = False, trusted: bool = False
    ) -> str:
        return self._accept(comment, source, admitted, trusted)

    def offer_nowait(self, comment: Comment, source: str, *, trusted: bool = False) -> str:
        """:meth:`offer` without the coroutine (never None: nothing waits here).

        Every record of ``classify`` and ``replay --speed 0`` comes this way:
        with no guard (offline input), no refused room and a stamped ts, the
        admission is the record itself, so it goes straight to
        :meth:`~roomwatch.pipeline.Pipeline._keep` (1.1 -> 0.6 µs a record).
        """
        if self.guard is None and not self.refused_rooms and not self._closing:
            ts = comment.ts
            if ts == ts:  # (not NaN: guarded() would stamp it)
                outcome, item = self._keep(comment, source, trusted)
                if item is not None:
                    self._add(item)
                return outcome
        return self._accept(comment, source, False, trusted)

    def offer_many(
        self, comments: Sequence[Comment], source: str, *, trusted: bool = False
    ) -> None:
        """:meth:`offer_nowait` for each of ``comments``, in order, without the
        outcomes; a batch that fills goes out as it does there.

        ``classify`` offers each chunk it reads this way, ``replay --speed 0``
        its records between rejects. With no guard, no refused room and no
        NaN ts (what :meth:`offer_nowait` sends to
        :meth:`~roomwatch.pipeline.Pipeline._keep`), each record goes to
        ``_keep`` and the kept ones join the open batch a batch at a time;
        with no tap, de-duplication or flood control either (so ``_keep``
        keeps every record as it is) they join in one step, entered at one
        monotonic time (they were offered at once). Else one
        :meth:`offer_nowait` each (``tests/test_offer_many.py`` compares them).
        """
        if (
            self.guard is not None
            or self.refused_rooms
            or self._closing
            or not _no_nan([c.ts for c in comments])
        ):
            for c in comments:
                self.offer_nowait(c, source, trusted=trusted)
            return
        items: list[Any]
        if self._taps or self._dedupe is not None or self._flood is not None:
            keep = self._keep
            items = [item for c in comments if (item := keep(c, source, trusted)[1]) is not None]
        else:
            accepted = self._accepted
            accepted[source] = accepted.get(source, 0) + len(comments)
            now, entered = self._monotonic(), not trusted
            items = [(c, source, now, entered) for c in comments]
        done = 0
        while done < len(items):
            part = items[done : done + self._limit - len(self._open)]
            done += len(part)
            self._open.extend(part)
            if len(self._open) >= self._limit:
                self.cut()

    def _accept(self, comment: Comment, source: str, admitted: bool, trusted: bool) -> str:
        outcome, item = self._take(comment, source, admitted, trusted)
        if item is not None:
            self._add(item)
        return outcome

    async def reject(self, error: RecordError, source: str, where: str = "") -> None:
        skip = self._rejected(error, source, where)
        if skip is not None:
            self._add(skip)

    def _add(self, item: Any) -> None:
        self._open.append(item)
        if len(self._open) >= self._limit:
            self.cut()

    def cut(self) -> None:
        """Analyse the open batch now and send its results to the outputs."""
        batch, self._open = self._open, []
        if not batch:
            return
        comments, _ = self._begin(batch)
        try:
            verdicts = self._analyze(comments) if comments else []
        except Exception:
            self._batch_failed(batch, analysed=False)
            return
        try:
            self._finish(batch, verdicts)
        except Exception:
            self._batch_failed(batch)

    def start(self) -> None:
        """Nothing to start: the callers' offers do the work."""

    async def process_queued(self) -> int:
        n = len(self._open)
        self.cut()
        return n

    async def drain(self) -> None:
        """Stop accepting input and send the open batch on."""
        self._closing = True
        self.cut()
        self.flush_counts()

    async def close(self) -> None:
        """Stop now, dropping the open batch. Idempotent."""
        self._closing = True
        self._open = []
        self.flush_counts()
        if self._own_executor:
            self._executor.shutdown(wait=False)  # (it never started a thread)


def _no_nan(values: list[float]) -> bool:
    """Whether no value is NaN (a NaN makes the sum NaN; so do opposite
    infinities, which only send the records the general way)."""
    total = sum(values, 0.0)
    return total == total

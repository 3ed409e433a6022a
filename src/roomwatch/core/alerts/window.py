"""A room's window of per-second count buckets, and the seconds that leave it.

``Room.buckets`` holds ``(second, counts)`` entries, oldest first; comments go
into the newest. A second that leaves the window (falls before the horizon,
``window_seconds`` behind the room's record second) is folded into the
room's :class:`~roomwatch.core.alerts.baseline.Baseline`, oldest first.

Seconds in which nothing was counted need no bucket of their own: an
:class:`EmptyRun` entry stands for ``n`` empty seconds in a row (what a
quiet room's fast-forward leaves, :func:`~roomwatch.core.alerts.quiet.fast_forward`),
so moving a room on by a minute of silence costs one entry, not sixty. The
seconds leave the window as the one-bucket-per-second window would have
them leave: each empty second with a span of one, a run of them folded at
once (:meth:`~roomwatch.core.alerts.baseline.Baseline.idle`, in closed form)
unless a learning rate is slowed (an open alert), when each is stepped.

A gap between two entries that no run covers is a *jump* (record time
moved on more than a second at once, e.g. after a silence longer than
:data:`~roomwatch.core.alerts.manager.MAX_STEPPED_GAP`): the bucket before
it leaves with the span up to the next entry or the horizon, as it always did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Final

from roomwatch.core.alerts.state import Room

__all__ = ["UNLEARNED", "EmptyRun", "Fold", "leave", "subtract"]

_NOTHING: Final[Mapping[str, int]] = {}

#: Keys of the per-second counts the baseline does not learn (their sums
#: would only be stepped, never read): a topic's negatives, ``tn:<topic>``.
UNLEARNED: Final = "tn:"


class EmptyRun(Counter[str]):
    """``n`` empty seconds in a row, from the entry's second on.

    An empty ``Counter`` (so sums over buckets skip it as they skip any
    empty second) that is never counted into: it is never the newest entry.
    """

    def __init__(self, n: int) -> None:
        # (Counter.__init__ only fills a new Counter from its arguments:
        # without any, it is empty as made. Not calling it saves three
        # Python calls per entry, one entry per comment of a sparse room.)
        self.n = n


def subtract(window: Counter[str], counts: Mapping[str, int]) -> None:
    """``window.subtract(counts)``, then ``+window``: the window's counts are
    never under 0, so only a key subtracted can reach 0."""
    for key, n in counts.items():
        left = window[key] - n
        if left > 0:
            window[key] = left
        else:
            window.pop(key, None)


class Fold:
    """Folds the seconds that leave a room's window into its baseline, in order.

    Empty seconds wait and go in at once (:meth:`Baseline.idle`) before the
    next stepped bucket or at :meth:`done`; a stepped bucket's counts leave
    the window's running sums. ``steps`` counts the baseline updates made.
    """

    __slots__ = ("_empty", "room", "steps")

    def __init__(self, room: Room) -> None:
        self.room = room
        self.steps = 0
        self._empty = 0

    def quiet(self, n: int) -> None:
        """``n`` empty seconds at full learning rate."""
        self._empty += n

    def bucket(self, counts: Mapping[str, int], learning: Mapping[str, float], span: int) -> None:
        if self._empty:
            self._idle()
        if counts:
            # Every count but a topic's negatives, which no detector asks the
            # baseline for (they are read from the window: negative_spike):
            # half the keys of a room with many clusters, stepped every second.
            learned = {k: n for k, n in counts.items() if not k.startswith(UNLEARNED)}
            self.room.baseline.step(learned, learning, span)
        else:
            self.room.baseline.step(counts, learning, span)
        self.steps += 1
        if counts:
            subtract(self.room.window, counts)

    def done(self) -> int:
        if self._empty:
            self._idle()
        return self.steps

    def _idle(self) -> None:
        self.room.baseline.idle(self._empty)
        self.steps += 1
        self._empty = 0


def leave(room: Room, horizon: int, learning: Mapping[str, float]) -> int:
    """Fold every second before ``horizon`` into the room's baseline, oldest first.

    Returns the baseline updates made. (A quiet room's fast-forward, where
    the seconds leave at successive ticks, has its own loop in ``quiet``.)
    """
    buckets = room.buckets
    fold = Fold(room)
    while buckets[0][0] < horizon:
        sec, counts = buckets.popleft()
        if type(counts) is EmptyRun:
            n = counts.n
            gone = min(n, horizon - sec)
            if gone < n:
                counts.n = n - gone
                buckets.appendleft((sec + gone, counts))
            if not learning:
                fold.quiet(gone)
                continue
            for _ in range(gone):
                fold.bucket(_NOTHING, learning, 1)
            continue
        span = max(1, min(buckets[0][0], horizon) - sec)
        if span == 1 and not counts and not learning:
            fold.quiet(1)
            continue
        fold.bucket(counts, learning, span)
    return fold.done()

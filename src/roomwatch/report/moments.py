"""The worst moments: per room and minute, the mean sentiment of typed
comments and the few most negative of them, in bounded memory."""

from __future__ import annotations

import math
from collections.abc import Callable

from roomwatch.core.verdict import Verdict
from roomwatch.report.config import ReportConfig
from roomwatch.report.values import Moment, Sample

__all__ = ["Moments"]

#: How far below its room's mean a non-negative minute must be to be a moment.
_MIN_DIP = 0.05


class _Cell:
    __slots__ = ("n", "samples", "sum")

    def __init__(self) -> None:
        self.sum = 0.0
        self.n = 0
        # The most negative comments, most negative first.
        self.samples: list[Sample] = []

    def add(self, sentiment: float) -> None:
        self.sum += sentiment
        self.n += 1

    def wants(self, sentiment: float, limit: int) -> bool:
        """Whether a comment this unhappy could be one of the samples."""
        samples = self.samples
        return len(samples) < limit or sentiment < samples[-1].sentiment

    def keep(self, sample: Sample, limit: int) -> None:
        samples = self.samples
        if any(s.text == sample.text for s in samples):
            return
        samples.append(sample)
        samples.sort(key=lambda s: s.sentiment)
        del samples[limit:]

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0


class Moments:
    """(room, minute) cells; the settled, least negative ones are forgotten
    first when there are more than ``max_moments``."""

    def __init__(self, config: ReportConfig, sample: Callable[[Verdict], Sample]) -> None:
        self.config = config
        self._sample = sample
        #: (room, minute) -> its cell.
        self.cells: dict[tuple[str, int], _Cell] = {}
        #: The newest minute seen per room.
        self._room_minute: dict[str, int] = {}
        #: Per room: [sentiment sum, typed comments] over the whole show.
        self._room_mood: dict[str, list[float]] = {}

    def add(self, v: Verdict) -> None:
        """Take one typed comment."""
        c = v.comment
        minute = int(c.ts // 60)
        newest = self._room_minute.get(c.room)
        if newest is None or minute > newest:
            self._room_minute[c.room] = minute
        key = (c.room, minute)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = _Cell()
            if len(self.cells) > self.config.max_moments:
                self._prune()
                cell = self.cells.setdefault(key, _Cell())
        cell.add(v.sentiment)
        mood = self._room_mood.get(c.room)
        if mood is None:
            mood = self._room_mood[c.room] = [0.0, 0.0]
        mood[0] += v.sentiment
        mood[1] += 1
        # The sample is built only for the few comments that may be kept.
        if cell.wants(v.sentiment, self.config.samples):
            cell.keep(self._sample(v), self.config.samples)

    def _prune(self) -> None:
        """Forget the half of the settled (room, minute) cells least below their
        room's mean so far."""
        cells = self.cells
        mood = self._room_mood
        settled = [
            (
                cell.mean - mood[key[0]][0] / mood[key[0]][1]
                if cell.n >= self.config.moment_min_comments and key[0] in mood
                else math.inf,
                key,
            )
            for key, cell in cells.items()
            if key[1] < self._room_minute.get(key[0], key[1]) - 2
        ]
        settled.sort(reverse=True)
        for _, key in settled[: max(len(cells) // 2, 1)]:
            del cells[key]
        if len(cells) > self.config.max_moments:
            # Too many rooms are live at once: drop the thinnest cells anyway.
            thin = sorted(cells, key=lambda key: cells[key].n)
            for key in thin[: len(cells) // 2]:
                del cells[key]

    def worst(self) -> tuple[Moment, ...]:
        """The minutes furthest below their room's own mean (a room of 好看 and
        666 rarely goes below 0, and its bad minute is a dip, not a sign), at
        most ``moments_shown``, one per incident. A minute must be negative or
        at least :data:`_MIN_DIP` below its room's mean."""
        cfg = self.config
        room_mean = {room: s / n if n else 0.0 for room, (s, n) in self._room_mood.items()}
        cells = [
            (cell.mean - room_mean.get(key[0], 0.0), key, cell) for key, cell in self.cells.items()
        ]
        threshold = cfg.moment_min_comments
        eligible = [x for x in cells if x[2].n >= threshold]
        if not eligible:
            eligible = [x for x in cells if x[2].n >= min(3, threshold)]
        eligible.sort(key=lambda x: (x[0], x[1]))
        picked: list[Moment] = []
        for dip, (room, minute), cell in eligible:
            mean = cell.mean
            if (dip > -_MIN_DIP and mean >= 0) or len(picked) >= cfg.moments_shown:
                continue
            # Neighbouring minutes of one incident are one moment.
            if any(m.room == room and abs(m.start / 60 - minute) <= 2 for m in picked):
                continue
            picked.append(
                Moment(
                    room=room,
                    start=minute * 60.0,
                    typed=cell.n,
                    sentiment=mean,
                    samples=tuple(cell.samples),
                    room_sentiment=room_mean.get(room, 0.0),
                )
            )
        return tuple(picked)

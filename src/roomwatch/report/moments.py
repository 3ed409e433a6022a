"""The worst moments: per room and minute, the mean sentiment of typed
comments and the few most negative of them, in bounded memory."""

from __future__ import annotations

import math
from collections.abc import Callable

from roomwatch.core.verdict import Verdict
from roomwatch.report.config import ReportConfig
from roomwatch.report.values import Moment, Sample

__all__ = ["Moments"]


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
        # The sample is built only for the few comments that may be kept.
        if cell.wants(v.sentiment, self.config.samples):
            cell.keep(self._sample(v), self.config.samples)

    def _prune(self) -> None:
        """Forget the least negative half of the settled (room, minute) cells."""
        cells = self.cells
        settled = [
            (cell.mean if cell.n >= self.config.moment_min_comments else math.inf, key)
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
        """The most negative minutes, at most ``moments_shown``, one per incident."""
        cfg = self.config
        cells = [(cell.mean, key, cell) for key, cell in self.cells.items()]
        threshold = cfg.moment_min_comments
        eligible = [x for x in cells if x[2].n >= threshold]
        if not eligible:
            eligible = [x for x in cells if x[2].n >= min(3, threshold)]
        eligible.sort(key=lambda x: (x[0], x[1]))
        picked: list[Moment] = []
        for mean, (room, minute), cell in eligible:
            if mean >= 0 or len(picked) >= cfg.moments_shown:
                break
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
                )
            )
        return tuple(picked)

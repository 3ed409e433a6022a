"""Moods stated in so many words: what the sentiment head misreads.

The sentiment head is fitted mostly on product reviews. It reads much of a
room turning against its host as neutral (心寒, 说好的优惠呢, 又在画饼), and
care for an official as a complaint (县长别太累了 -0.96, 嗓子都哑了: in a
review, tiredness and a hoarse voice are what went wrong). The comms alerts
count negatives, so both matter: a mood turn that does not read negative
raises no alert, and praise that does raises the room's baseline until a
mood turn no longer stands out.

:class:`MoodTerms` holds two phrase lists (``lexicons/sour.txt`` and
``lexicons/warm.txt``). A comment holding a sour phrase is negative, its
sentiment at most :data:`SOUR_SENTIMENT`; a *chatter* comment holding a warm
phrase and no sour one is at least :data:`WARM_SENTIMENT` (a grievance or a
question keeps the head's reading: 客服辛苦了，退款什么时候到 is polite, not
happy). Phrases are found in the normalised text with its spaces taken out,
not across punctuation (表白，等一下 holds no 白等), and not right after a
negation (没, 不, 别, 非, 莫, 勿: 永不脱粉 is loyalty, 不辛苦 no care).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from roomwatch.core.cuelist import find_unnegated, read_terms, term_finder
from roomwatch.core.prediction import Prediction

__all__ = ["SOUR_SENTIMENT", "WARM_SENTIMENT", "MoodTerms", "read_terms"]

#: The sentiment of a comment that states a sour mood is at most this (the
#: comms alerts count -0.3 and below as negative) ...
SOUR_SENTIMENT: Final = -0.5
#: ... and of a chatter comment that says a warm thing at least this.
WARM_SENTIMENT: Final = 0.3

#: A phrase right after one of these is negated (没白等, 永不脱粉).
_NEGATORS: Final = frozenset("没不别非莫勿")


def _said(rx: re.Pattern[str], text: str) -> bool:
    """Whether ``rx`` finds a phrase in ``text`` that no negation comes right before."""
    return find_unnegated(rx, text, _NEGATORS) is not None


@dataclass(frozen=True, slots=True)
class MoodTerms:
    """The sour and warm phrases (none: every sentiment as the head reads it)."""

    sour: tuple[str, ...] = ()
    warm: tuple[str, ...] = ()
    _sour_rx: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _warm_rx: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sour_rx", term_finder(self.sour))
        object.__setattr__(self, "_warm_rx", term_finder(self.warm))

    @classmethod
    def from_dir(cls, lexicons_dir: Path) -> MoodTerms:
        return cls(read_terms(lexicons_dir / "sour.txt"), read_terms(lexicons_dir / "warm.txt"))

    def apply(self, pred: Prediction, text: str) -> Prediction:
        """``pred`` with its sentiment moved by a sour or warm phrase in ``text``
        (normalised)."""
        if not self.sour and not self.warm:
            return pred
        said = text.replace(" ", "")
        if _said(self._sour_rx, said):
            if pred.sentiment > SOUR_SENTIMENT:
                return pred._replace(sentiment=SOUR_SENTIMENT)
        elif (
            pred.label == "chatter"
            and pred.sentiment < WARM_SENTIMENT
            and _said(self._warm_rx, said)
        ):
            return pred._replace(sentiment=WARM_SENTIMENT)
        return pred

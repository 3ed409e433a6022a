"""Targets: does a comment name or address someone an insult could be aimed at?

The abuse head is trained largely on COLD (talk about region, gender and race),
where evaluative words (恶心, 垃圾) and group words carry the offence. In a room's
chatter the same words are opinions about a thing, a game or a plot ("垃圾",
"丑东西", "好恶心"). The labelling guide calls abuse an insult **aimed at
someone**: a viewer, the host, a person in the video, a group. So an abuse
verdict that rests on the model's n-grams alone (no insult, sexual or curse
evidence) stands only when the text has a target: a pronoun, a demonstrative,
a person or group noun, a region, or an imperative addressed to someone.

``lexicons/targets.txt`` holds the regexes (one per line, ``#`` comments), run
on normalised text with separators removed (so 北_京_人 and 老女 人 still name a
group). :class:`~roomwatch.core.classify.Classifier` applies them
after the model and shows the target in ``reasons`` (``target:<text>``); a
verdict without one becomes chatter (``weak:abuse``).
"""

from __future__ import annotations

import re
from pathlib import Path

from roomwatch.core.errors import ModelError

__all__ = ["Targets"]

# Separators an evasion spelling puts between characters (what normalisation
# keeps of them): they must not hide a target.
_SEPARATORS = re.compile(r"[\s_\-·.*/|~,，、]+")


class Targets:
    """One alternation of the target regexes; :meth:`find` returns the first mention."""

    __slots__ = ("_rx",)

    def __init__(self, rxs: list[str]) -> None:
        for rx in rxs:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ModelError(f"bad target regex {rx!r} in targets.txt: {exc}") from exc
        self._rx = re.compile("|".join(f"(?:{rx})" for rx in rxs)) if rxs else None

    @property
    def enabled(self) -> bool:
        """Whether there are any targets (without them the rule does not apply)."""
        return self._rx is not None

    @classmethod
    def from_file(cls, path: Path) -> Targets:
        """Read one regex per line (``#`` comments); a missing file means no rule."""
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return cls([])
        except OSError as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc
        return cls([line.strip() for line in lines if line.strip() and not line.startswith("#")])

    def find(self, text: str) -> str | None:
        """The first target mention in ``text`` (normalised), or None."""
        if self._rx is None:
            return None
        m = self._rx.search(_SEPARATORS.sub("", text))
        return m.group(0) if m is not None else None

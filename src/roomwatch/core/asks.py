"""Question cues: is a comment an ask aimed at someone, or a rhetorical form?

The model's question evidence (``lex:question``: 吗, 呢, 怎么, ?, ...) cannot tell
"这个多少钱？" from "怎么这么便宜！" or "是我吗？". ``lexicons/asks.tsv`` holds two
small, curated regex sets over normalised text:

* ``ask``: wh-asks and requests a person would answer (这首歌叫什么, 这是谁,
  求bgm, 请问, 怎么买, 多少钱, 点歌 ...);
* ``sure``: asks so plain (请问, 求bgm, 点歌, 叫什么, 是谁) that they make a
  question whatever the model says; each line names its trigger characters;
* ``rhetoric``: exclamatory, rhetorical, self-directed or guessing forms
  (怎么这么..., 这么...吗, 难道, 凭什么, 是我吗, ...吧？);
* ``anchor``: what makes a bare yes/no question (only 吗/呢/么/? as question
  evidence) an ask directed at someone: an addressee (主播, up, 你, 大家,
  有人), a buyer topic (price, link, size, shipping, stock, after-sales, a
  product's fit or quality), the show itself (更新, 回放, 下期, 开播) or a
  thing pointed at to be identified (这是…吗, 这首…). Without one, "下雪了吗",
  "换发型了吗", "X呢" are remarks about what is on screen, not asks (labelling
  guide: a question is "an ask directed at someone ... that expects an
  answer"; "a guess or remark about what is on screen → chatter").

:class:`~roomwatch.core.classify.Classifier` uses them after the model: a
rhetorical form without an ask is no evidence for ``question``, an ask is
evidence for ``question`` even without a lexicon hit, and a sure ask makes a
chatter verdict a question. Both show in ``reasons``
(``ask:<text>``, ``rhetoric:<text>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from roomwatch.core.errors import ModelError
from roomwatch.core.regex_heads import with_first_chars

__all__ = ["KINDS", "AskCues", "Cue"]

KINDS = ("ask", "sure", "rhetoric", "anchor")


@dataclass(frozen=True, slots=True)
class Cue:
    """What the cue sets found in one text (the matched text, or None)."""

    ask: str | None
    rhetoric: str | None
    sure: bool = False  # the ask is a sure one


_NONE = Cue(None, None)


class AskCues:
    """The ``ask``, ``sure`` and ``rhetoric`` regex sets, one alternation each."""

    __slots__ = ("_anchor", "_ask", "_rhetoric", "_sure", "sure_triggers")

    def __init__(
        self,
        ask: list[str],
        rhetoric: list[str],
        sure: Sequence[tuple[str, str]] = (),
        anchor: Sequence[str] = (),
    ) -> None:
        self._ask = self._compile("ask", ask)
        self._rhetoric = self._compile("rhetoric", rhetoric)
        self._anchor = self._compile("anchor", list(anchor))
        self._sure = self._compile("sure", [rx for rx, _ in sure])
        #: A sure ask needs one of these characters in the text.
        self.sure_triggers = frozenset("".join(chars for _, chars in sure))

    @staticmethod
    def _compile(kind: str, rxs: list[str]) -> re.Pattern[str] | None:
        if not rxs:
            return None
        parts = []
        groups = 0
        for rx in rxs:
            try:
                compiled = re.compile(rx)
            except re.error as exc:
                raise ModelError(f"bad {kind} cue {rx!r} in asks.tsv: {exc}") from exc
            # One pattern of all the lines: a line's \1 must still mean its
            # own first group, so number it past the groups of the lines before.
            parts.append(_renumber(rx, groups) if groups else rx)
            groups += compiled.groups
        # (behind a lookahead for the lines' first characters: without it every
        # line is tried at every position; see roomwatch.core.regex_heads)
        return re.compile(with_first_chars("|".join(f"(?:{rx})" for rx in parts)))

    @classmethod
    def empty(cls) -> AskCues:
        return cls([], [])

    @classmethod
    def from_file(cls, path: Path) -> AskCues:
        """Read ``kind<TAB>regex`` lines (``#`` comments); a missing file means no cues."""
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return cls.empty()
        except OSError as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc
        sets: dict[str, list[str]] = {kind: [] for kind in KINDS}
        sure: list[tuple[str, str]] = []
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            kind, sep, rest = line.partition("\t")
            rx, _, chars = rest.partition("\t")
            kind = kind.strip()
            if not sep or kind not in sets or not rx.strip() or (kind == "sure") != bool(chars):
                raise ModelError(
                    f"{path}:{number}: expected ask|rhetoric|anchor<TAB>regex"
                    " or sure<TAB>regex<TAB>chars"
                )
            if kind == "sure":
                sure.append((rx.strip(), chars.strip()))
            else:
                sets[kind].append(rx.strip())
        return cls(sets["ask"], sets["rhetoric"], sure, sets["anchor"])

    def has_ask(self, text: str) -> bool:
        """Whether ``text`` (normalised) holds an ask, sure or not (what
        :meth:`find` would give as ``ask``), without looking for rhetoric."""
        sure = self._sure
        if (
            sure is not None
            and not self.sure_triggers.isdisjoint(text)
            and sure.search(text) is not None
        ):
            return True
        return self._ask is not None and self._ask.search(text) is not None

    def find(self, text: str, asks_only: bool = False) -> Cue:
        """The first ask (a sure one first) and the first rhetorical form in
        ``text`` (normalised). With ``asks_only`` a text without an ask is not
        searched for rhetoric (it can only matter next to an ask there: the
        classifier's chatter rows)."""
        ask = None
        if self._sure is not None and not self.sure_triggers.isdisjoint(text):
            ask = self._sure.search(text)
        sure = ask is not None
        if ask is None and self._ask is not None:
            ask = self._ask.search(text)
        if ask is None and asks_only:
            return _NONE
        rhetoric = self._rhetoric.search(text) if self._rhetoric is not None else None
        if ask is None and rhetoric is None:
            return _NONE
        return Cue(
            ask.group(0) if ask is not None else None,
            rhetoric.group(0) if rhetoric is not None else None,
            sure,
        )

    @property
    def has_anchors(self) -> bool:
        """Whether the ``anchor`` set is non-empty (without it the rule does not apply)."""
        return self._anchor is not None

    def anchor(self, text: str, besides: Iterable[str] = ()) -> str | None:
        """The first anchor in ``text`` (normalised): an addressee, a buyer topic,
        the show, or a thing pointed at; None if there is none. The words in
        ``besides`` (the question words that need the anchor) are taken out
        first: a question word is no anchor for itself."""
        if self._anchor is None:
            return None
        for word in besides:
            text = text.replace(word, "")
        m = self._anchor.search(text.replace(" ", "") if " " in text else text)
        return m.group(0) if m is not None else None


_BACKREF = re.compile(r"(\\\\)|\\([1-9][0-9]?)")


def _renumber(rx: str, offset: int) -> str:
    """``rx`` with its numbered backreferences moved up by ``offset`` groups."""

    def shift(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1)  # an escaped backslash
        return f"(?:\\{int(m.group(2)) + offset})"

    return _BACKREF.sub(shift, rx)

"""Real, licensed short chat text for the 5-label head (dev-time only).

roomwatch's generated corpus has chatter at about a quarter of its rows; real
rooms are about 90% chatter, and real chatter is far more varied than any
grammar. These readers bring in people typing (all MIT-licensed, see
``models/NOTICE``), from the shared data directory:

* ``cdial_weibo/toy_train.txt``: Weibo dialogue turns (CDial-GPT toy data) as
  ``chatter``. Turns that carry an ask cue (什么, 怎么, 吗, 求, ...) are left out:
  in a dialogue many of them really ask the other person something, and
  labelling them chatter would teach the model that asks are chatter.
  ``toy_valid.txt`` is never read (it is a held-out regression sample).
* ``qq_group_chat/mc_qq_group.txt``: game-community QQ group chat, ``==1`` ads
  as ``spam`` and ``==0`` as ``chatter``; only the first
  :data:`QQ_TRAIN_SHARE` of the lines (the rest are held out for a test).
* ``medical_questions/*.csv``: patients' question titles as ``question``
  (real asks, with and without 吗/？), capped at :data:`MEDICAL_MAX` rows.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from roomwatch.training.data import DataError, Example, stable_fraction

__all__ = [
    "MEDICAL_MAX",
    "QQ_TRAIN_SHARE",
    "read_cdial_chatter",
    "read_medical_questions",
    "read_qq_group",
    "read_real_chat",
]

QQ_TRAIN_SHARE = 0.8
MEDICAL_MAX = 1500
_ASK_CUE = re.compile(
    r"什么|怎么|咋|哪|谁|多少|几|吗|嘛|呢|是不是|有没有|能不能|求|请问|为啥|啥|不会.*吧|不能.*吧|不至于"
)


def _read(path: Path, encoding: str = "utf-8") -> str:
    try:
        return path.read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def _join_spaced(turn: str) -> str:
    """CDial text has a space between characters; keep spaces only between Latin/digit runs."""
    parts = turn.strip().split(" ")
    out: list[str] = []
    for part in parts:
        if out and part and out[-1] and out[-1][-1].isascii() and part[0].isascii():
            out.append(" ")
        out.append(part)
    return "".join(out)


def read_cdial_chatter(path: Path) -> list[Example]:
    """Distinct dialogue turns without an ask cue, as chatter (order of first appearance)."""
    seen: set[str] = set()
    out: list[Example] = []
    for line in _read(path).splitlines():
        for turn in line.split("\t"):
            text = _join_spaced(turn)
            if not text or text in seen or len(text) > 40 or _ASK_CUE.search(text):
                continue
            seen.add(text)
            out.append(Example(text, "chatter", 0, None, "cdial"))
    return out


def read_qq_group(path: Path, share: float = QQ_TRAIN_SHARE) -> list[Example]:
    """The first ``share`` of the lines: ``text==1`` spam, ``text==0`` chatter."""
    lines = [ln.rstrip("\r") for ln in _read(path).split("\n")]
    lines = [ln for ln in lines if ln.strip()]
    out: list[Example] = []
    for line in lines[: int(len(lines) * share)]:
        text, sep, flag = line.rpartition("==")
        if not sep or flag.strip() not in ("0", "1") or not text.strip():
            continue
        label = "spam" if flag.strip() == "1" else "chatter"
        out.append(Example(text.strip(), label, 0, None, "qq_group"))
    return out


def read_medical_questions(path: Path, limit: int = MEDICAL_MAX) -> list[Example]:
    """Distinct question titles (GB18030 CSV), a stable pseudo-random ``limit`` of them."""
    rows = csv.DictReader(io.StringIO(_read(path, "gb18030")))
    titles = sorted({(row.get("title") or "").strip() for row in rows} - {""})
    titles = [t for t in titles if len(t) <= 30]
    titles.sort(key=lambda t: stable_fraction(t, "medical"))
    return [Example(t, "question", 0, None, "medical") for t in titles[:limit]]


def read_real_chat(shared: Path) -> dict[Path, list[Example]]:
    """Every set above that exists under ``shared`` (the shared data directory)."""
    found: dict[Path, list[Example]] = {}
    cdial = shared / "cdial_weibo" / "toy_train.txt"
    if cdial.exists():
        found[cdial] = read_cdial_chatter(cdial)
    qq = shared / "qq_group_chat" / "mc_qq_group.txt"
    if qq.exists():
        found[qq] = read_qq_group(qq)
    medical = sorted((shared / "medical_questions").glob("*.csv"))
    if medical:
        found[medical[0]] = read_medical_questions(medical[0])
    return found

"""Real, licensed short chat text for the 5-label head (dev-time only).

roomwatch's generated corpus has chatter at about a quarter of its rows; real
rooms are about 90% chatter, and real chatter is far more varied than any
grammar. These readers bring in people typing (all MIT-licensed, see
``models/NOTICE``), from the shared data directory:

* ``cdial_weibo/toy_train.txt``: Weibo dialogue turns (CDial-GPT toy data) as
  ``chatter``. Turns that carry an ask cue (什么, 怎么, 吗, 求, ...) are
  ambiguous: in a dialogue many of them really ask the other person
  something. They are left out, or, when training is given hand labels
  (``roomwatch train --hand-labels corpus/real``: ``cdial.tsv``, see
  :func:`read_hand_labels`), take the label a person gave them. The shipped
  model is trained without them (measured in ``corpus/real/README.md``).
  ``toy_valid.txt`` is never read (it is a held-out regression sample).
* ``qq_group_chat/mc_qq_group.txt``: game-community QQ group chat, ``==1`` ads
  as ``spam`` and ``==0`` as ``chatter``; only the first
  :data:`QQ_TRAIN_SHARE` of the lines (the rest are held out for a test). A
  ``==0`` line with an ask cue takes its hand label when given one
  (``corpus/real/qq.tsv``): the set's flag says "not an ad", not "not a
  question".
* ``medical_questions/*.csv``: patients' question titles as ``question``
  (real asks, with and without 吗/？), capped at :data:`MEDICAL_MAX` rows.

The chatter turns of the first two sets also teach the sentiment head what
neutral looks like (sentiment 0): real chat is mostly neither happy nor angry,
and without them the head, fitted on polar review sentences and the generated
corpus, called 41% of real barrage negative (about 6% is, by hand: stop 22,
``bench/realtraffic/README.md``). A turn with a mood cue (:data:`MOOD_CUE`:
laughter, praise, thanks, complaint words, emoticons) keeps no sentiment:
calling it neutral would teach the head that those cues mean nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from pathlib import Path

from roomwatch.core.classify import LABELS
from roomwatch.training.data import DataError, Example, stable_fraction

__all__ = [
    "HAND_FILES",
    "HAND_SOURCE",
    "MEDICAL_MAX",
    "MOOD_CUE",
    "QQ_TRAIN_SHARE",
    "SETS",
    "cued_texts",
    "hand_key",
    "read_cdial_chatter",
    "read_hand_labels",
    "read_medical_questions",
    "read_qq_group",
    "read_real_chat",
]

QQ_TRAIN_SHARE = 0.8
#: A mood cue: a chat turn with one is not taken as neutral for the sentiment
#: head (laughter, praise and love, thanks and cheering, sadness, anger and
#: disgust words, a run of ! or ~, a bracketed emoticon such as [哈哈]).
MOOD_CUE = re.compile(
    r"哈哈|呵呵|嘿嘿|嘻嘻|233|hh|xswl|笑死|[好真太超]\S{0,2}[棒爱美帅赞强]|喜欢|开心|高兴|感动"
    r"|谢谢|谢了|爱你|加油|难过|伤心|生气|讨厌|恶心|烦|失望|无语|垃圾|郁闷|哭|[!！]{2}|[~～]"
    r"|[\[【(（][^\]】)）]{1,4}[\]】)）]"
    # (stop 22's review: most moods of the labelling guide's own examples had no
    # cue; these are common mood words of Chinese chat, from the author's
    # knowledge, not read off any labelled set.)
    r"|好[听看吃玩]|不错|很棒|漂亮|可爱|厉害|牛|666|支持|期待|幸福|快乐|绝了|爱了|泪目|感人"
    r"|舒服|完美|优秀|羡慕|难[吃听看受]|太[慢贵差]|气死|累|困|可惜|惨|怕|吓|丑|骗|醉了"
    r"|无聊|后悔|心疼|担心|痛|唉|哎|呜|崩溃|破防|离谱|坑|差评|好评"
)
#: The source of a row whose label a person gave (``corpus/real``): kept as given,
#: never dropped as ambiguous chatter (training.sources.drop_ambiguous_chatter).
HAND_SOURCE = "hand"
#: Where the two sets with hand-labelled texts lie under the shared data folder,
#: by set name; a ``--hand-labels`` folder holds ``<name>.tsv`` for each.
SETS = {
    "cdial": Path("cdial_weibo/toy_train.txt"),
    "qq": Path("qq_group_chat/mc_qq_group.txt"),
}
HAND_FILES = tuple(f"{name}.tsv" for name in SETS)
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


def hand_key(text: str) -> str:
    """The key of ``text`` in a hand-label file (the labels, not the text, are kept)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def read_hand_labels(path: Path) -> dict[str, str]:
    """``key<TAB>label`` lines (``#`` comments) of a hand-label file; none if it is missing."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for number, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, label = line.partition("\t")
        if not sep or label.strip() not in LABELS:
            raise DataError(f"{path}:{number}: expected key<TAB>one of {', '.join(LABELS)}")
        out[key.strip()] = label.strip()
    return out


def _cdial_turns(path: Path) -> list[str]:
    """Distinct dialogue turns of at most 40 characters, in order of first appearance."""
    seen: set[str] = set()
    out: list[str] = []
    for line in _read(path).splitlines():
        for turn in line.split("\t"):
            text = _join_spaced(turn)
            if text and text not in seen and len(text) <= 40:
                seen.add(text)
                out.append(text)
    return out


def _qq_lines(path: Path, share: float) -> list[tuple[str, str]]:
    """(text, flag) of the first ``share`` of the lines."""
    lines = [ln.rstrip("\r") for ln in _read(path).split("\n")]
    lines = [ln for ln in lines if ln.strip()]
    out: list[tuple[str, str]] = []
    for line in lines[: int(len(lines) * share)]:
        text, sep, flag = line.rpartition("==")
        if sep and flag.strip() in ("0", "1") and text.strip():
            out.append((text.strip(), flag.strip()))
    return out


def cued_texts(shared: Path) -> dict[str, list[str]]:
    """The texts that need a hand label, by set name (``cdial``, ``qq``): the
    ones with an ask cue that the set's own label cannot settle."""
    out: dict[str, list[str]] = {}
    cdial = shared / SETS["cdial"]
    if cdial.exists():
        out["cdial"] = [t for t in _cdial_turns(cdial) if _ASK_CUE.search(t)]
    qq = shared / SETS["qq"]
    if qq.exists():
        cued = (
            t for t, flag in _qq_lines(qq, QQ_TRAIN_SHARE) if flag == "0" and _ASK_CUE.search(t)
        )
        out["qq"] = list(dict.fromkeys(cued))
    return out


def _neutral(text: str) -> int | None:
    """0 (neutral) for a chat turn without a mood cue, else None (unknown)."""
    return None if MOOD_CUE.search(text) else 0


def read_cdial_chatter(path: Path, hand: Mapping[str, str] | None = None) -> list[Example]:
    """Distinct dialogue turns: without an ask cue as chatter; with one, by its hand
    label in ``hand`` (:func:`hand_key` → label), or left out (order of first appearance)."""
    out: list[Example] = []
    for text in _cdial_turns(path):
        if not _ASK_CUE.search(text):
            out.append(Example(text, "chatter", 0, _neutral(text), "cdial"))
        elif label := (hand or {}).get(hand_key(text), ""):
            out.append(Example(text, label, 0, None, HAND_SOURCE))
    return out


def read_qq_group(
    path: Path, share: float = QQ_TRAIN_SHARE, hand: Mapping[str, str] | None = None
) -> list[Example]:
    """The first ``share`` of the lines: ``text==1`` spam, ``text==0`` chatter, but a
    ``==0`` line with an ask cue takes its hand label in ``hand`` when it has one."""
    out: list[Example] = []
    for text, flag in _qq_lines(path, share):
        if flag == "0" and hand and _ASK_CUE.search(text) and (label := hand.get(hand_key(text))):
            out.append(Example(text, label, 0, None, HAND_SOURCE))
        elif flag == "1":
            out.append(Example(text, "spam", 0, None, "qq_group"))
        else:
            out.append(Example(text, "chatter", 0, _neutral(text), "qq_group"))
    return out


def read_medical_questions(path: Path, limit: int = MEDICAL_MAX) -> list[Example]:
    """Distinct question titles (GB18030 CSV), a stable pseudo-random ``limit`` of them."""
    rows = csv.DictReader(io.StringIO(_read(path, "gb18030")))
    titles = sorted({(row.get("title") or "").strip() for row in rows} - {""})
    titles = [t for t in titles if len(t) <= 30]
    titles.sort(key=lambda t: stable_fraction(t, "medical"))
    return [Example(t, "question", 0, None, "medical") for t in titles[:limit]]


def read_real_chat(shared: Path, hand_dir: Path | None = None) -> dict[Path, list[Example]]:
    """Every set above that exists under ``shared`` (the shared data directory), with
    the hand labels in ``hand_dir`` (``cdial.tsv``, ``qq.tsv``; none if None)."""
    found: dict[Path, list[Example]] = {}

    def hand(name: str) -> dict[str, str] | None:
        return None if hand_dir is None else read_hand_labels(hand_dir / f"{name}.tsv")

    cdial = shared / SETS["cdial"]
    if cdial.exists():
        found[cdial] = read_cdial_chatter(cdial, hand("cdial"))
    qq = shared / SETS["qq"]
    if qq.exists():
        found[qq] = read_qq_group(qq, hand=hand("qq"))
    medical = sorted((shared / "medical_questions").glob("*.csv"))
    if medical:
        found[medical[0]] = read_medical_questions(medical[0])
    return found

"""Masking the words that name a target out of the rows the abuse head learns from.

``lexicons/targets.txt`` says **whom** a comment is aimed at (a pronoun, the
host, a gender, a region, a race); at inference
:class:`~roomwatch.core.classify.Classifier` asks for such a target before an
n-gram-only abuse verdict stands. The abuse head is trained mostly on COLD,
whose offensive rows are about race, region and gender, so without a mask it
learns the target words themselves as abuse ("新疆人", "这女的是谁", "黑人"
alone came out as abuse at 0.7–0.9). With the mask, the feature entries whose
n-gram lies inside a target match of the row are removed (or down-weighted)
before the fit, so the head has to learn **what** is said about the target;
the cue list still says who it is aimed at.

Only the fit sees the masked rows: the abuse stack is fitted, and every
figure measured, on the ordinary rows, as at inference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import scipy.sparse as sp

from roomwatch.core.cuelist import CueList, unseparated
from roomwatch.core.features import Featurizer

__all__ = ["SECTIONS", "gram_texts", "mask_targets", "target_only", "target_regex"]

# Which sections of targets.txt (by the first words of their comment line) a
# mask uses: "all"; "groups", the ones that name a group of people (gender,
# X人, race and the like, regions), not pronouns, demonstratives, room and
# person nouns or imperatives; "named", the groups without the X人 line (whose
# match takes up to three characters before 人, often function words: 是新疆人,
# 辅助的人).
SECTIONS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "groups": ("# Gender", "# X人", "# Race", "# Regions"),
    "named": ("# Gender", "# Race", "# Regions"),
}


def target_regex(path: Path, sections: str = "all") -> re.Pattern[str] | None:
    """The alternation of ``path``'s regexes (only those of ``sections``, see SECTIONS)."""
    wanted = SECTIONS[sections]
    lines = path.read_text(encoding="utf-8").splitlines()
    rxs: list[str] = []
    in_group = False
    for line in lines:
        if line.startswith("#"):
            if not line[2:3].islower():  # a lower-case comment goes on the one above
                in_group = wanted is None or line.startswith(wanted)
            continue
        if line.strip() and (in_group or wanted is None):
            rxs.append(line.strip())
    if not rxs:
        return None
    CueList(path.name, rxs)  # the same checks as at inference (a bad regex is a ModelError)
    return re.compile("|".join(f"(?:{rx})" for rx in rxs))


def gram_texts(featurizer: Featurizer) -> list[str]:
    """Each n-gram feature's text without boundary marks and spaces (evidence: '')."""
    n = featurizer.n_chars + featurizer.n_words
    return [featurizer.name(i).strip("\x02\x03").replace(" ", "") for i in range(n)]


def mask_targets(
    x: sp.csr_matrix,
    texts: Sequence[str],
    grams: Sequence[str],
    rx: re.Pattern[str],
    weight: float = 0.0,
) -> tuple[sp.csr_matrix, int, int]:
    """``x`` with every n-gram entry lying inside a target match of its row times ``weight``.

    ``texts`` are the rows' normalised texts; matches are found as at inference
    (separators removed). Returns (masked rows, rows touched, entries masked).
    """
    if x.shape[0] != len(texts):
        raise ValueError("x and texts differ in length")
    out = x.tocsr(copy=True)
    indptr, indices, data = out.indptr, out.indices, out.data
    n_grams = len(grams)
    rows = entries = 0
    for r, text in enumerate(texts):
        spans = _matches(rx, text)
        if not spans:
            continue
        touched = False
        for k in range(indptr[r], indptr[r + 1]):
            j = indices[k]
            if j >= n_grams:
                continue
            gram = grams[j]
            if gram and any(gram in span for span in spans):
                data[k] *= weight
                entries += 1
                touched = True
        rows += touched
    if weight == 0.0:
        out.eliminate_zeros()
    return out, rows, entries


def target_only(texts: Sequence[str], rx: re.Pattern[str]) -> list[str]:
    """For each text with target matches, the matches alone (joined by spaces)."""
    out = []
    for text in texts:
        spans = _matches(rx, text)
        if spans:
            out.append(" ".join(spans))
    return out


def _matches(rx: re.Pattern[str], text: str) -> list[str]:
    """The non-empty target matches in ``text``, found as at inference."""
    return [m.group(0) for m in rx.finditer(unseparated(text)) if m.group(0)]

"""bench/realtraffic: labels.tsv is well formed and matches sample.py's strata.

No real-traffic text is read here (it is unlicensed and outside the repo): the
draw is run on made-up texts, which checks its mechanics (sizes, disjoint
strata, the ask and enriched filters), and labels.tsv is checked against the
stratum names and sizes that draw returns.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.support.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
LABELS_FILE = ROOT / "bench" / "realtraffic" / "labels.tsv"
LABELS = {"question", "grievance", "abuse", "spam", "chatter"}


sample = load_script("realtraffic_sample", ROOT / "bench" / "realtraffic" / "sample.py")
evaluate = load_script("realtraffic_eval", ROOT / "bench" / "realtraffic_eval.py")
HELD_OUT = ("final", *(f"final{n}" for n in range(2, 15)))


def _made_up_texts(n: int = 30_000) -> list[str]:
    """Invented comments: a third ask-shaped, a third insult-ish, a third neither."""
    forms = ("这是第{}集吗", "笑死{}个狗头", "好听{}")
    return [forms[i % 3].format(i) for i in range(n)]


def _labelled() -> list[tuple[int, str, str]]:
    rows = []
    for line in LABELS_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("row\t"):
            continue
        row, stratum, label = line.split("\t")
        rows.append((int(row), stratum, label))
    return rows


def test_draw_gives_disjoint_strata_of_the_declared_sizes() -> None:
    texts = _made_up_texts()
    strata = sample.draw(texts)
    seen: set[int] = set()
    for name, rows in strata.items():
        assert len(set(rows)) == len(rows), name
        assert not seen & set(rows), f"{name} overlaps an earlier stratum"
        seen.update(rows)
        if name.startswith("asks-"):
            assert all(sample.ASKS.search(texts[i]) for i in rows), name
        if name.startswith("enriched-"):
            assert all(sample.ENRICH.search(texts[i]) for i in rows), name
    sizes = {name: len(rows) for name, rows in strata.items()}
    assert sizes["random-final7"] == sample.N_FINAL7 == 400
    assert sizes["asks-final7"] == sample.N_ASKS_FINAL7 == 400
    assert sizes["enriched-final7"] == sample.N_ENRICHED_FINAL7 == 200
    assert sizes["random-final8"] == sample.N_FINAL8 == 400
    assert sizes["asks-final8"] == sample.N_ASKS_FINAL8 == 400
    assert sizes["enriched-final8"] == sample.N_ENRICHED_FINAL8 == 200
    assert sizes["random-final9"] == sample.N_FINAL9 == 400
    assert sizes["asks-final9"] == sample.N_ASKS_FINAL9 == 400
    assert sizes["enriched-final9"] == sample.N_ENRICHED_FINAL9 == 200
    assert sizes["random-final10"] == sample.N_FINAL10 == 400
    assert sizes["asks-final10"] == sample.N_ASKS_FINAL10 == 400
    assert sizes["enriched-final10"] == sample.N_ENRICHED_FINAL10 == 200
    assert sizes["random-final11"] == sample.N_FINAL11 == 400
    assert sizes["asks-final11"] == sample.N_ASKS_FINAL11 == 400
    assert sizes["enriched-final11"] == sample.N_ENRICHED_FINAL11 == 200
    assert sizes["random-final13"] == sample.N_FINAL13 == 400
    assert sizes["asks-final13"] == sample.N_ASKS_FINAL13 == 400
    assert sizes["enriched-final13"] == sample.N_ENRICHED_FINAL13 == 200
    assert sizes["random-final14"] == sample.N_FINAL14 == 400
    assert sizes["asks-final14"] == sample.N_ASKS_FINAL14 == 400
    assert sizes["enriched-final14"] == sample.N_ENRICHED_FINAL14 == 200


def test_draw_is_reproducible() -> None:
    texts = _made_up_texts()
    assert sample.draw(texts) == sample.draw(texts)


def test_labels_file_is_well_formed_and_covers_every_stratum() -> None:
    rows = _labelled()
    assert all(label in LABELS for _, _, label in rows)
    numbers = [row for row, _, _ in rows]
    assert len(numbers) == len(set(numbers)), "a row is labelled twice"
    sizes = {name: len(drawn) for name, drawn in sample.draw(_made_up_texts()).items()}
    assert Counter(stratum for _, stratum, _ in rows) == sizes


def test_every_labelled_stratum_belongs_to_one_split_of_the_evaluator() -> None:
    """Each held-out part's split names exactly the strata sample.py draws for it."""
    strata = list(sample.draw(_made_up_texts()))
    parts = {"dev": evaluate.DEV, "final": evaluate.FINAL}
    parts |= {name: getattr(evaluate, name.upper()) for name in HELD_OUT[1:]}
    for name, members in parts.items():
        assert set(members) == {s for s in strata if s.endswith(f"-{name}")}, name
    owners = Counter(stratum for members in parts.values() for stratum in members)
    assert owners == Counter(strata), "a stratum is in no split, or in two"


@pytest.mark.parametrize("split", HELD_OUT)
def test_a_held_out_split_is_refused_before_anything_is_loaded(
    split: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Paths that do not exist: had the guard let the split through, main would
    # fail on them (after loading the model) instead of computing a verdict.
    missing = ["--labels", str(tmp_path / "none.tsv"), "--data", str(tmp_path)]
    with pytest.raises(SystemExit, match="--i-know-this-is-final"):
        evaluate.main(["--split", split, *missing])
    assert "model" not in capsys.readouterr().out


def test_the_sentiment_sample_is_the_one_its_script_draws() -> None:
    # bench/realtraffic/sentiment.tsv holds the rows sentiment_sample.py draws
    # from labels.tsv; later label parts must change neither (its pool is fixed).
    draw = load_script(
        "realtraffic_sentiment_sample", ROOT / "bench/realtraffic/sentiment_sample.py"
    )
    stored = [
        line.split("\t")
        for line in (ROOT / "bench/realtraffic/sentiment.tsv").read_text("utf-8").splitlines()
        if line and line[0].isdigit()
    ]
    rows = draw.draw(LABELS_FILE)
    assert [int(r[0]) for r in stored] == rows
    assert [r[1] for r in stored] == ["sent-tune"] * 500 + ["sent-final"] * 500
    assert {r[2] for r in stored} == {"neg", "neu", "pos"}

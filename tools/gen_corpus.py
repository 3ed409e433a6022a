"""Generate roomwatch's labelled live-room comment corpus (dev-time only).

Run ``python tools/gen_corpus.py [--out corpus/live] [--seed 1126]``. The output is
deterministic for a given seed: ``train.jsonl``, ``dev.jsonl``, ``test.jsonl`` and
``test_evasion.jsonl``, one JSON object per line::

    {"text": ..., "label": ..., "sentiment": -1|0|1, "domain": ..., "hard": bool}

The generator is a compositional grammar: every *family* builds a core phrase from
independent slot pools (openers, products, asks, particles, tails, emoji, typos,
dialect) and a shared finishing step adds address terms, particles, punctuation,
emoji and noise. Generalisation is measured by holding out whole families and whole
products for dev/test (see ``corpus/live/README.md``). Hand-written data is never
read here.

This file is the entry point; the generator lives in ``tools/corpus_gen/``:

- ``data/*.json``: the phrase pools, one file per module below;
- ``vocab.py``: labels, domains, splits, ``Row``, shared pools and the hold-out rule;
- ``grammar.py``: ``Ctx``, the ``@family`` registry and the finishing step;
- ``question_shop.py``, ``question_room.py``, ``grievance.py``, ``abuse.py``,
  ``spam.py``, ``chatter.py``: the families of each label;
- ``evasion.py``: evasion spellings for ``test_evasion.jsonl``;
- ``driver.py``: ``generate``, ``write_corpus`` and the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TOOLS = str(Path(__file__).resolve().parent)
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from corpus_gen.driver import (  # noqa: E402
    FAMILIES,
    _split_products,
    generate,
    main,
    norm_key,
    rows_to_jsonl,
    write_corpus,
)
from corpus_gen.evasion import evasion_variant  # noqa: E402
from corpus_gen.vocab import DOMAINS, LABELS, SPLITS, Row  # noqa: E402

__all__ = [
    "DOMAINS",
    "FAMILIES",
    "LABELS",
    "SPLITS",
    "Row",
    "_split_products",
    "evasion_variant",
    "generate",
    "main",
    "norm_key",
    "rows_to_jsonl",
    "write_corpus",
]

if __name__ == "__main__":
    raise SystemExit(main())

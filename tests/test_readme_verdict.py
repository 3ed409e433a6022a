"""The README's example verdict is what ``roomwatch classify`` prints for its
record: the same fields, label, reasons and model, so the doc stays true when
the model or the rules change."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[1]


def _readme_json(after: str) -> dict[str, object]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(after)
    block = re.search(r"```json\n(.*?)\n```", text[start:], re.S)
    assert block is not None, f"no json block after {after!r}"
    return json.loads(block.group(1))


def test_the_readme_verdict_is_what_classify_prints() -> None:
    example = _readme_json("Every comment gets a verdict:")
    record = {k: example[k] for k in ("id", "room", "ts", "text")}
    done = run("classify", "--jsonl", stdin=json.dumps(record, ensure_ascii=False).encode())
    assert done.returncode == 0, done.stderr.decode()
    got = json.loads(done.stdout)
    assert set(got) == set(example)
    for key in ("id", "room", "ts", "text", "label", "reasons", "model", "sentiment"):
        assert got[key] == example[key], key
    assert got["scores"] == example["scores"]

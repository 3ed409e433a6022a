"""``[rooms."<room>"]`` in the file: checked over the global tables, tokens joined, digest kept."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from roomwatch.config import InvalidConfig, settings_from_dict

ROOT = Path(__file__).resolve().parents[2]


def load(raw: dict, **environ: str):  # type: ignore[no-untyped-def]
    return settings_from_dict(raw, environ=environ, generate_missing_tokens=False)


def test_the_rooms_doc_example_loads() -> None:
    text = (ROOT / "docs" / "rooms.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```toml\n(.*?)```", text, re.S)
    settings = load(tomllib.loads(block), APPLES_HELPER_TOKEN="apples-secret-1")
    room = settings.rooms["county-apples-1126"]
    assert room.queue == {"window_s": 300.0, "max_items": 2000}
    assert room.alerts["watch_terms"] == ("发霉", "烂果")
    [token] = settings.tokens
    assert token.token == "apples-secret-1" and token.rooms == ("county-apples-1126",)


def test_room_keys_are_checked_over_the_global_table() -> None:
    # 0.45 is a fine fold_conflict on its own, not under this file's fold_threshold.
    raw = {"queue": {"fold_threshold": 0.4}, "rooms": {"a": {"queue": {"fold_conflict": 0.45}}}}
    with pytest.raises(InvalidConfig) as err:
        load(raw)
    assert str(err.value) == "rooms.a.queue.fold_conflict must be at most queue.fold_threshold"
    assert load({"rooms": {"a": {"queue": {"fold_conflict": 0.45}}}}).rooms["a"].queue == {
        "fold_conflict": 0.45
    }


def test_room_tokens_share_no_secret_with_other_tokens() -> None:
    raw = {
        "tokens": [{"role": "admin", "token": "admin-secret-1"}],
        "rooms": {"a": {"tokens": [{"role": "helper", "token": "admin-secret-1"}]}},
    }
    with pytest.raises(InvalidConfig, match="the same token secret is configured twice"):
        load(raw)


def test_new_keys_leave_old_digests_alone_until_they_change_verdicts() -> None:
    old = {"rooms": {"a": {"block_abuse": ["x"]}}}
    digest = load(old).digest()
    assert digest == "57d3fa54d6f9"  # main before per-room sections
    labels = {"rooms": {"a": {"block_abuse": ["x"], "title": "A", "tags": ["t"]}}}
    assert load(labels).digest() == digest
    products = {"rooms": {"a": {"block_abuse": ["x"], "products": ["冰糖心"]}}}
    assert load(products).digest() != digest

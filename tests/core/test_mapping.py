"""core.mapping: paths, alternatives, type rules and the reasons a message is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.config import InvalidConfig, settings_from_dict
from roomwatch.core.errors import RecordError
from roomwatch.core.mapping import FieldMap, TypeRule, map_message


def test_paths_alternatives_list_items_and_units() -> None:
    fmap = FieldMap(
        fields={
            "room": "meta.room",
            "text": "body.text|body.alt",
            "ts": "meta.time",
            "id": "meta.id",
            "user.id": "users.0.uid",
        },
        ts_unit="ms",
        platform="x",
    )
    got = map_message(
        fmap,
        {
            "meta": {"room": 42, "time": 1764115200500, "id": 7.0},
            "body": {"text": "", "alt": "第二个"},
            "users": [{"uid": 9}],
        },
    )
    assert got == {
        "kind": "comment",
        "room": "42",
        "text": "第二个",
        "ts": 1764115200.5,
        "id": "7",
        "user": {"id": "9"},
        "platform": "x",
    }


def test_reasons_for_skipped_messages() -> None:
    fmap = FieldMap(
        fields={"text": "t", "ts": "ts"},
        type_field="k",
        types={"c": TypeRule(), "g": TypeRule(kind="gift", fields={"amount": "p"})},
        room="fixed",
    )
    cases = {
        "not an object": (["x"], "not_object"),
        "no type": ({"t": "hi"}, "filtered"),
        "unlisted type": ({"k": "like", "t": "hi"}, "filtered"),
        "comment without text": ({"k": "c"}, "unmapped"),
        "text is an object": ({"k": "c", "t": {"a": 1}}, "unmapped"),
        "ts not a number": ({"k": "c", "t": "hi", "ts": "soon"}, "unmapped"),
        "amount infinite": ({"k": "g", "p": "inf"}, "unmapped"),
    }
    for what, (message, reason) in cases.items():
        got = map_message(fmap, message)
        assert isinstance(got, RecordError), what
        assert got.reason == reason, (what, str(got))
    # A gift may have no text; the fixed room stands in.
    assert map_message(fmap, {"k": "g", "p": 3}) == {
        "kind": "gift",
        "room": "fixed",
        "text": "",
        "amount": 3.0,
    }


def test_json_in_a_string_is_decoded_once() -> None:
    fmap = FieldMap(fields={"room": "D.r", "text": "D.c"}, json_strings=("D",))
    assert map_message(fmap, {"D": '{"r": "a", "c": "b"}'}) == {
        "kind": "comment",
        "room": "a",
        "text": "b",
    }
    bad = map_message(fmap, {"D": '{"r": NaN}'})
    assert isinstance(bad, RecordError) and bad.reason == "not_json"


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ({"mapping": "dycast"}, "room is required"),
        ({"mapping": "no-such-map"}, "neither a shipped map"),
        ({"field_map": {"room": "r", "fields": {"txt": "a"}}}, "unknown record field"),
        ({"field_map": {"room": "r", "types": {"a": {}}}}, "types need a type_field"),
        ({"room": "r"}, "applies only to a mapped source"),
        ({"mapping": "dycast", "field_map": {"room": "r"}}, "both set"),
    ],
)
def test_bad_maps_stop_the_config(source: dict[str, object], problem: str) -> None:
    raw = {"sources": {"websocket": [{"url": "ws://127.0.0.1:1", **source}]}}
    with pytest.raises(InvalidConfig) as info:
        settings_from_dict(raw, environ={})
    assert problem in str(info.value)
    assert "sources.websocket[0]" in str(info.value)


def test_a_map_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('room = "r"\n[fields]\ntext = "msg"\n', encoding="utf-8")
    settings = settings_from_dict(
        {"sources": {"websocket": [{"url": "ws://127.0.0.1:1", "mapping": str(path)}]}},
        environ={},
    )
    assert settings.websocket_sources[0].mapping == str(path)


def test_a_mapped_source_enters_the_config_digest() -> None:
    def digest(kind: str) -> str:
        fmap = {"room": "r", "type_field": "t", "types": {"a": {"kind": kind}}}
        raw = {"sources": {"websocket": [{"url": "ws://127.0.0.1:1", "field_map": fmap}]}}
        return settings_from_dict(raw, environ={}).digest()

    assert digest("gift") != digest("enter")


def test_a_gift_amount_is_the_unit_price_times_the_count() -> None:
    rule = TypeRule(kind="gift", amount_scale=0.1, multiply="gift.count|gift.repeat")
    fmap = FieldMap(room="r", type_field="t", fields={"amount": "gift.price"}, types={"gift": rule})

    def amount(gift: dict[str, object]) -> object:
        got = map_message(fmap, {"t": "gift", "gift": gift})
        return got if isinstance(got, RecordError) else got.get("amount")

    assert amount({"price": 10, "count": 3}) == pytest.approx(3.0)
    assert amount({"price": 10, "count": "4"}) == pytest.approx(4.0)  # counts come as text too
    assert amount({"price": 10, "repeat": 2}) == pytest.approx(2.0)  # the alternative path
    assert amount({"price": 10}) == pytest.approx(1.0)  # no count: one gift
    assert amount({"price": 10, "count": 0}) == 0.0
    assert amount({"count": 3}) is None  # no price: no amount, the count alone is nothing
    for bad in (-1, "many", [3], True):
        error = amount({"price": 10, "count": bad})
        assert isinstance(error, RecordError), bad
        assert (error.reason, error.field) == ("unmapped", "amount")
        assert "not a count" in str(error)
    # Without multiply, the price alone (what the shipped maps did before).
    plain = FieldMap(
        room="r",
        type_field="t",
        fields={"amount": "gift.price"},
        types={"gift": TypeRule(kind="gift", amount_scale=0.1)},
    )
    assert map_message(plain, {"t": "gift", "gift": {"price": 10, "count": 3}})["amount"] == 1.0


def test_multiply_must_be_a_path_and_leaves_old_digests_alone() -> None:
    with pytest.raises(ValueError, match="multiply"):
        TypeRule(kind="gift", multiply="gift..count")

    def digest(rule: dict[str, object]) -> str:
        fmap = {"room": "r", "type_field": "t", "types": {"a": rule}}
        raw = {"sources": {"websocket": [{"url": "ws://127.0.0.1:1", "field_map": fmap}]}}
        return settings_from_dict(raw, environ={}).digest()

    # A rule without multiply hashes as before the key existed; one with it differs.
    assert digest({"kind": "gift"}) == digest({"kind": "gift", "multiply": ""})
    assert digest({"kind": "gift"}) != digest({"kind": "gift", "multiply": "n"})

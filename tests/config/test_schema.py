"""The config schema: every section typed, every problem named by its key path."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from roomwatch.config import (
    ConfigFile,
    InvalidConfig,
    ModerationConfig,
    Settings,
    WebhookSettings,
    build_dataclass,
    settings_from_dict,
)
from roomwatch.config.rules import ALERT_RULES, QUEUE_RULES, TOKEN_RULES
from roomwatch.config.schema import field_types
from roomwatch.core.alerts import SEVERITIES, AlertConfig
from roomwatch.core.errors import ConfigError
from roomwatch.core.queue import QueueConfig

ROOT = Path(__file__).resolve().parents[2]


def problems(raw: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> list[str]:
    with pytest.raises(InvalidConfig) as info:
        settings_from_dict(raw, environ=environ or {}, generate_missing_tokens=False)
    return [str(p) for p in info.value.problems]


def _required(cls: type) -> dict[str, Any]:
    """Values for the required keys of a table, so only the bad key is wrong."""
    fill = {"url": "http://127.0.0.1:9/x", "paths": ["a.jsonl"], "name": "x", "role": "host"}
    fill["room_id"] = 1
    fill["token"] = "a-long-enough-secret"
    return {
        f.name: fill[f.name]
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def tables(cls: type = ConfigFile, path: str = "") -> Iterator[tuple[str, type, Any]]:
    """(path of one table, its dataclass, how to nest a table there) for the whole schema."""
    for name, hint in field_types(cls).items():
        args = typing.get_args(hint)
        if dataclasses.is_dataclass(hint):
            yield f"{path}{name}", hint, lambda t, n=name: {n: t}
            for sub, sub_cls, nest in tables(hint, f"{path}{name}."):
                yield sub, sub_cls, lambda t, n=name, nest=nest: {n: nest(t)}
        elif typing.get_origin(hint) is tuple and args and dataclasses.is_dataclass(args[0]):
            yield f"{path}{name}[0]", args[0], lambda t, n=name: {n: [t]}
        elif typing.get_origin(hint) is Mapping and dataclasses.is_dataclass(args[1]):
            yield f"{path}{name}.r1", args[1], lambda t, n=name: {n: {"r1": t}}


ALL_TABLES = list(tables())


def test_the_walk_covers_every_section() -> None:
    paths = [p for p, _, _ in ALL_TABLES]
    assert paths == [
        "server",
        "pipeline",
        "hub",
        "model",
        "store",
        "limits",
        "tokens[0]",
        "sources",
        "sources.websocket[0]",
        "sources.replay[0]",
        "sources.bilibili[0]",
        "recorder",
        "rooms.r1",
        "queue",
        "alerts",
        "webhooks[0]",
        "moderation",
        "streams",
    ]


@pytest.mark.parametrize(("path", "cls", "nest"), ALL_TABLES, ids=[p for p, _, _ in ALL_TABLES])
def test_an_unknown_key_in_every_section_is_named(path: str, cls: type, nest: Any) -> None:
    table = {**_required(cls), "windw": 1}
    found = problems(nest(table))
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}.windw is not a known key"), found


def test_an_unknown_section_is_named() -> None:
    assert problems({"alert": {}}) == [
        "alert is not a known section (did you mean 'alerts'?); allowed: server, pipeline, "
        "hub, model, store, limits, tokens, sources, recorder, rooms, queue, alerts, webhooks, "
        "moderation, streams"
    ]


def test_a_misspelt_key_gets_a_suggestion() -> None:
    assert problems({"alerts": {"windw": 3}}) == [
        "alerts.windw is not a known key (did you mean 'window_seconds'?); "
        "docs/config.md lists every key of [alerts]"
    ]
    assert problems({"sources": {"kafka": {}}}) == [
        "sources.kafka is not a known key; expected websocket, replay or bilibili "
        "(HTTP ingest is always on at POST /ingest)"
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"server": {"port": "80"}}, "server.port must be an integer from 0 to 65535, not '80'"),
        ({"server": {"port": 70000}}, "server.port must be an integer from 0 to 65535, not 70000"),
        (
            {"server": {"open_metrics": "yes"}},
            "server.open_metrics must be true or false, not 'yes'",
        ),
        (
            {"server": {"shutdown_timeout_s": 0}},
            "server.shutdown_timeout_s must be a number above 0",
        ),
        (
            {"pipeline": {"batch_max": 2.0}},
            "pipeline.batch_max must be an integer at least 1, not 2.0",
        ),
        ({"pipeline": {"batch_wait_ms": float("nan")}}, "pipeline.batch_wait_ms must be a number"),
        (
            {"limits": {"source_frames_per_s": float("inf")}},
            "limits.source_frames_per_s must be a finite number, not inf",
        ),
        ({"hub": {"slow_client": "ignore"}}, "hub.slow_client must be one of 'drop_oldest', "),
        (
            {"recorder": {"max_bytes": True}},
            "recorder.max_bytes must be an integer at least 1, not True",
        ),
        (
            {"server": {"allowed_origins": ["a", 1]}},
            "server.allowed_origins[1] must be a string, not 1",
        ),
        ({"rooms": {"a b": {"allow": "x"}}}, 'rooms."a b".allow must be an array of strings'),
        ({"sources": {"replay": {"paths": ["a"], "speed": -1}}}, "sources.replay[0].speed must be"),
        ({"sources": {"websocket": [{"name": "x"}]}}, "sources.websocket[0].url is required"),
        ({"tokens": "x"}, "tokens must be a table or an array of tables"),
        ({"tokens": [{"role": "king", "token": "abcdefghij"}]}, "tokens[0].role must be one of"),
        ({"queue": {"top_n": 0}}, "queue.top_n must be an integer at least 1, not 0"),
        (
            {"queue": {"asker_bitmap_bits": 8}},
            "queue.asker_bitmap_bits must be an integer at least 64",
        ),
        (
            {"queue": {"fold_threshold": 1.5}},
            "queue.fold_threshold must be a number above 0 and at most 1",
        ),
        (
            {"queue": {"fold_threshold": 0.3}},
            "queue.fold_conflict must be at most queue.fold_threshold",
        ),
        (
            {"alerts": {"window_seconds": "20"}},
            "alerts.window_seconds must be a number above 0, not '20'",
        ),
        (
            {"alerts": {"raid_min_accounts": 2.5}},
            "alerts.raid_min_accounts must be an integer at least 1",
        ),
        ({"alerts": {"negative_min_count": True}}, "alerts.negative_min_count must be an integer"),
        (
            {"alerts": {"negative_sentiment": -3}},
            "alerts.negative_sentiment must be a number from -1 to 1",
        ),
        (
            {"alerts": {"negative_share_margin": 2.0}},
            "alerts.negative_share_margin must be a number from 0 to 1",
        ),
        (
            {"alerts": {"watch_terms": "12315"}},
            "alerts.watch_terms must be an array of non-blank strings",
        ),
        (
            {"alerts": {"watch_terms": ["a", " "]}},
            "alerts.watch_terms[1] must be a non-blank string, not ' '",
        ),
        (
            {"alerts": {"room_watch_terms": ["x"]}},
            "alerts.room_watch_terms must be a table of arrays",
        ),
        (
            {"alerts": {"topic_seeds": {"物流": ["快递", 3]}}},
            'alerts.topic_seeds."物流"[1] must be a non-blank',
        ),
        (
            {"moderation": {"outbound": "carrier-pigeon"}},
            "moderation.outbound must be one of 'log', 'webhook'",
        ),
        (
            {"moderation": {"outbound": "webhook"}},
            "moderation.webhook_url must be an http(s) URL when",
        ),
        (
            {"moderation": {"review_labels": ["abuse", "grievance"]}},
            "moderation.review_labels[1] must be",
        ),
        (
            {"moderation": {"review_labels": []}},
            "moderation.review_labels must be a non-empty array",
        ),
        (
            {"moderation": {"webhook_retries": 11}},
            "moderation.webhook_retries must be an integer from 0 to 10",
        ),
        (
            {"moderation": {"actions_per_minute": 0}},
            "moderation.actions_per_minute must be an integer at least 1, not 0",
        ),
        (
            {"moderation": {"queue_max": "many"}},
            "moderation.queue_max must be an integer at least 1, not 'many'",
        ),
        (
            {"webhooks": {"name": " ", "url": "http://h/x"}},
            "webhooks[0].name must be a non-blank string",
        ),
        ({"webhooks": {"name": "x", "url": "ftp://h/x"}}, "webhooks[0].url must be an http(s) URL"),
        (
            {"webhooks": {"name": "x", "url": "http://h/x", "format": "teams"}},
            "webhooks[0].format must be one of 'json'",
        ),
        (
            {"webhooks": {"name": "x", "url": "http://h/x", "kinds": ["open", "close"]}},
            "webhooks[0].kinds[1] must be one of",
        ),
        (
            {"webhooks": {"name": "x", "url": "http://h/x", "queue_size": 0}},
            "webhooks[0].queue_size must be an integer at least 1",
        ),
    ],
)
def test_wrong_values_name_the_key_and_what_it_must_be(raw: dict[str, Any], message: str) -> None:
    found = problems(raw)
    assert len(found) == 1 and found[0].startswith(message), found


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    raw = {
        "server": {"prot": 1, "port": "x"},
        "queue": {"top_n": True},
        "alerts": {"windw": 1, "max_samples": 0},
        "webhooks": [{"url": "http://h/x"}, {"name": "b", "url": "http://h/x", "style": "loud"}],
    }
    paths = [p.split(" ")[0] for p in problems(raw)]
    assert paths == [
        "server.prot",
        "server.port",
        "queue.top_n",
        "alerts.windw",
        "alerts.max_samples",
        "webhooks[0].name",
        "webhooks[1].style",
    ]
    with pytest.raises(InvalidConfig, match=r"^7 problems:\n  server\.prot "):
        settings_from_dict(raw, environ={})


def test_secrets_are_never_echoed() -> None:
    found = problems(
        {
            "tokens": [{"role": "host", "token": 12345678}],
            "moderation": {"webhook_headers": {"Authorization": 99999}},
            "sources": {"websocket": {"url": "ws://h/x", "headers": {"Cookie": 88888}}},
            "webhooks": {"name": "x", "url": 77777, "secret": 66666},
        }
    )
    assert len(found) == 5
    assert not any(re.search(r"\d{5}", p) for p in found), found


def test_env_references_are_resolved_and_unset_ones_named() -> None:
    raw = {
        "tokens": {"role": "host", "token": "env:HOST_SECRET"},
        "webhooks": {"name": "x", "url": "env:HOOK", "secret": "env:HOOK_SECRET"},
    }
    assert problems(raw, {"HOST_SECRET": "long-enough"}) == [
        "webhooks[0].url names environment variable 'HOOK', which is unset",
        "webhooks[0].secret names environment variable 'HOOK_SECRET', which is unset",
    ]
    env = {"HOST_SECRET": "long-enough", "HOOK": "https://h/x", "HOOK_SECRET": "s"}
    s = settings_from_dict(raw, environ=env, generate_missing_tokens=False)
    assert s.tokens[0].token == "long-enough"
    assert (s.webhooks[0].url, s.webhooks[0].secret) == ("https://h/x", "s")


def test_the_moderation_webhook_url_may_name_an_environment_variable() -> None:
    raw = {"moderation": {"outbound": "webhook", "webhook_url": "env:MOD_HOOK"}}
    assert problems(raw, {}) == [
        "moderation.webhook_url names environment variable 'MOD_HOOK', which is unset"
    ]
    s = settings_from_dict(raw, environ={"MOD_HOOK": "https://h/mod"})
    assert s.moderation.webhook_url == "https://h/mod"


def test_every_section_comes_back_typed() -> None:
    s = settings_from_dict(
        {
            "queue": {"grace_s": 30},
            "alerts": {"window_seconds": 30, "room_watch_terms": {"r1": ["发霉"]}},
            "moderation": {"outbound": "webhook", "webhook_url": "http://h/x", "recent": 5},
            "webhooks": {"name": "ops", "url": "http://h/x", "rooms": ["r1"], "kinds": ["open"]},
        },
        environ={},
        generate_missing_tokens=False,
    )
    assert s.queue == QueueConfig(grace_s=30.0) and isinstance(s.queue.grace_s, float)
    assert isinstance(s.alerts, AlertConfig) and s.alerts.window_seconds == 30.0
    assert s.alerts.watch_terms_for("r1") == ("发霉",)
    assert s.moderation == ModerationConfig(outbound="webhook", webhook_url="http://h/x", recent=5)
    assert s.webhooks == (
        WebhookSettings("ops", "http://h/x", rooms=frozenset({"r1"}), kinds=frozenset({"open"})),
    )
    d = settings_from_dict({}, environ={}, generate_missing_tokens=False)
    assert (d.queue, d.alerts, d.moderation, d.webhooks) == (
        QueueConfig(),
        AlertConfig(),
        ModerationConfig(),
        (),
    )


def test_build_dataclass_checks_one_table() -> None:
    assert build_dataclass(QueueConfig, {"top_n": 5}, "queue").top_n == 5
    with pytest.raises(ConfigError, match=r"^queue\.top_n must be an integer at least 1"):
        build_dataclass(QueueConfig, {"top_n": 0}, "queue")


def test_every_rule_names_a_field() -> None:
    """A field renamed in core must not silently lose its bounds."""
    for cls, rules in ((QueueConfig, QUEUE_RULES), (AlertConfig, ALERT_RULES)):
        assert set(rules) <= {f.name for f in dataclasses.fields(cls)}, cls
    assert set(TOKEN_RULES) == {"role"}


def test_webhook_settings_mirror_the_sink_target() -> None:
    from roomwatch.sinks import webhook

    mine = {f.name: f for f in dataclasses.fields(WebhookSettings)}
    theirs = {f.name: f for f in dataclasses.fields(webhook.WebhookTarget)}
    assert list(mine) == list(theirs)
    for name, f in mine.items():
        assert (f.default, f.default_factory) == (
            theirs[name].default,
            theirs[name].default_factory,
        )
    types = field_types(WebhookSettings)
    assert typing.get_args(types["format"]) == webhook.FORMATS
    assert typing.get_args(types["style"]) == webhook.STYLES
    assert typing.get_args(types["min_severity"]) == SEVERITIES
    assert set(typing.get_args(typing.get_args(types["kinds"])[0])) == webhook._KINDS
    settings = WebhookSettings("x", "https://h/x", "feishu", rooms=frozenset({"r"}), secret="s")
    target = webhook.WebhookTarget(**dataclasses.asdict(settings))
    assert (target.format, target.rooms, target.secret) == ("feishu", frozenset({"r"}), "s")


def test_the_digest_is_the_one_from_before_the_schema() -> None:
    """Verdicts and reports carry it: the same file must hash as it did (issue #13)."""
    env = {
        "ROOMWATCH_HELPER1_TOKEN": "helper-secret-1",
        "ROOMWATCH_MOD1_TOKEN": "mod-secret-1",
        "FEISHU_HOOK_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/x",
        "FEISHU_SECRET": "s",
    }
    raw = tomllib.loads((ROOT / "examples/roomwatch.toml").read_text(encoding="utf-8"))
    # (Stop 23 gave the example's replay path the recorder's real layout; the
    # digest below was taken with the path it had then.)
    raw["sources"]["replay"][0]["paths"] = ["var/recordings/county-apples-1126/2026-12-05.jsonl.gz"]
    features = {
        "queue": {"grace_s": 120},
        "alerts": {"window_seconds": 30, "topic_seeds": {"物流": ["快递"]}},
        "moderation": {"recent": 5},
        "webhooks": [
            {"name": "a", "url": "http://127.0.0.1:9/x", "kinds": ["open", "ack", "resolve"]}
        ],
    }
    # Computed with the config.py of 603b2df, before the schema.
    for doc, digest in ((raw, "d139f6c7f6da"), ({}, "ee16e05a99fa"), (features, "ce5793ac0575")):
        assert (
            settings_from_dict(doc, environ=env, generate_missing_tokens=False).digest() == digest
        )
    # Sections built in code count by what differs from the defaults.
    assert Settings().digest() == "ee16e05a99fa"
    assert Settings(queue=QueueConfig(grace_s=1.0)).digest() != Settings().digest()


def test_the_readme_examples_load() -> None:
    blocks = re.findall(
        r"```toml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S
    )
    assert len(blocks) >= 3
    for block in blocks:
        env = {name: "https://h/x" for name in re.findall(r'"env:(\w+)"', block)}
        settings_from_dict(tomllib.loads(block), environ=env, generate_missing_tokens=False)


def test_alerts_from_a_toml_table() -> None:
    """An [alerts] table, built by the schema (core has no parser of its own)."""
    alerts = build_dataclass(
        AlertConfig,
        {
            "window_seconds": 30,
            "raid_min_accounts": 10,
            "watch_terms": ["12315", "召回"],
            "room_watch_terms": {"county-apples-1126": ["发霉"]},
            "topic_seeds": {"物流": ["快递", "没发货"]},
        },
        "alerts",
    )
    assert alerts.window_seconds == 30.0 and isinstance(alerts.window_seconds, float)
    assert alerts.raid_min_accounts == 10
    assert alerts.watch_terms_for("x") == ("12315", "召回")
    assert alerts.watch_terms_for("county-apples-1126") == ("发霉",)
    assert dict(alerts.topic_seeds) == {"物流": ("快递", "没发货")}


@pytest.mark.parametrize(
    "bad",
    [
        {"queue": {"max_items": 0}},
        {"queue": {"grace_s": -1.0}},
        {"queue": {"half_life_s": 0.0}},
        {"queue": {"fold_threshold": 1.5}},
        {"queue": {"fold_threshold": 0.5, "fold_conflict": 0.6}},
        {"queue": {"window_s": float("nan")}},
        {"queue": {"top_n": True}},
        {"alerts": {"window_seconds": 0}},
        {"alerts": {"negative_share_margin": 2.0}},
        {"alerts": {"raid_min_accounts": 0}},
        {"alerts": {"negative_sentiment": -3}},
    ],
)
def test_the_schema_keeps_the_bounds_core_checked(bad: dict[str, Any]) -> None:
    """The cases core's __post_init__ validators reject (tests/core), rejected when loading."""
    ((section, table),) = bad.items()
    found = problems(bad)
    assert len(found) == 1 and found[0].startswith(f"{section}.{next(reversed(table))} must be")


def test_a_webhooks_detectors_are_the_alert_detectors() -> None:
    # The config schema spells them out (msgspec needs the literal values);
    # a detector added to core must be added there too.
    import typing

    from roomwatch.core.alerts import DETECTORS

    hint = typing.get_type_hints(WebhookSettings)["detectors"]
    (frozen, _none) = typing.get_args(hint)
    (literal,) = typing.get_args(frozen)
    assert set(typing.get_args(literal)) == set(DETECTORS)

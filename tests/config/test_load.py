import pytest

from roomwatch.config import ROLES, load_settings, settings_from_dict
from roomwatch.core.errors import ConfigError


def test_defaults_work_with_no_file_and_generate_tokens():
    s = load_settings(None, environ={})
    assert s.server.host == "127.0.0.1"
    assert s.server.port == 8686
    assert set(s.generated_roles) == set(ROLES)
    assert all(len(t.token) >= 16 for t in s.tokens)


def test_file_tokens_env_references_and_env_tokens(tmp_path):
    cfg = tmp_path / "rw.toml"
    cfg.write_text(
        """
[server]
port = 9001

[[tokens]]
name = "helper-1"
role = "helper"
token = "env:HELPER_SECRET"
rooms = ["county-apples-1126"]
""",
        encoding="utf-8",
    )
    s = load_settings(
        cfg,
        environ={"HELPER_SECRET": "s3cret-helper", "ROOMWATCH_MODERATOR_TOKEN": "mod-token-1"},
    )
    assert s.server.port == 9001
    helper = s.tokens_for("helper")[0]
    assert helper.token == "s3cret-helper"
    assert helper.allows_room("county-apples-1126")
    assert not helper.allows_room("other")
    assert s.tokens_for("moderator")[0].token == "mod-token-1"
    assert "helper" not in s.generated_roles and "moderator" not in s.generated_roles
    # Secrets never show in repr (and so never in a log line).
    assert "s3cret" not in repr(s)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"server": {"prot": 1}}, "server.prot"),
        ({"bogus": {}}, "bogus"),
        ({"server": {"port": "80"}}, "server.port must be an integer"),
        ({"pipeline": {"batch_max": 0}}, "batch_max"),
        ({"hub": {"slow_client": "ignore"}}, "slow_client"),
        ({"tokens": [{"role": "king", "token": "abcdefghij"}]}, "tokens[0].role"),
        ({"tokens": [{"role": "host", "token": "env:NOPE"}]}, "NOPE"),
        ({"tokens": [{"role": "host", "token": "short"}]}, "too short"),
        ({"sources": {"kafka": {}}}, "kafka"),
        ({"sources": {"websocket": [{"name": "x"}]}}, "sources.websocket[0].url"),
        ({"tokens": [{"role": "host"}]}, "tokens[0].token"),
    ],
)
def test_strict_validation_names_the_key(raw, message):
    with pytest.raises(ConfigError) as info:
        settings_from_dict(raw, environ={})
    assert message in str(info.value)


def test_sources_are_parsed(tmp_path):
    s = settings_from_dict(
        {
            "sources": {
                "websocket": [{"url": "ws://127.0.0.1:9/feed", "name": "douyin-bridge"}],
                "replay": {"paths": ["a.jsonl"], "speed": 10},
            }
        },
        environ={},
    )
    assert s.websocket_sources[0].name == "douyin-bridge"
    assert s.replay_sources[0].speed == 10.0
    assert s.replay_sources[0].paths == ("a.jsonl",)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\nport = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, environ={})


def test_digest_ignores_secrets_but_sees_settings():
    a = settings_from_dict(
        {"tokens": [{"role": "host", "token": "aaaaaaaaaa"}]},
        environ={},
        generate_missing_tokens=False,
    )
    b = settings_from_dict(
        {"tokens": [{"role": "host", "token": "bbbbbbbbbb"}]},
        environ={},
        generate_missing_tokens=False,
    )
    c = settings_from_dict({"server": {"port": 1}}, environ={}, generate_missing_tokens=False)
    assert a.digest() == b.digest()
    assert a.digest() != c.digest()


def test_config_doc_is_current():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "gen_config_doc", root / "tools/gen_config_doc.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (root / "docs/config.md").read_text(encoding="utf-8") == mod.render(), (
        "docs/config.md is stale: run python tools/gen_config_doc.py"
    )


def test_tokens_serve_makes_up_leave_the_digest_as_the_file_gives_it():
    # A reviewer replayed a live run with its config file and got another
    # config stamp: serve's generated tokens (roles the file has none for)
    # entered the live digest.
    raw = {"tokens": [{"role": "ingest", "token": "ingest-secret-1"}], "server": {"port": 9}}
    live = settings_from_dict(raw, environ={}, generate_missing_tokens=True)
    offline = settings_from_dict(raw, environ={}, generate_missing_tokens=False)
    assert live.generated_roles and len(live.tokens) > len(offline.tokens)
    assert live.digest() == offline.digest()

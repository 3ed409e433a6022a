"""``roomwatch check-config FILE``, run for real as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "roomwatch.toml"
#: The secrets examples/roomwatch.toml reads from the environment.
EXAMPLE_ENV = {
    "ROOMWATCH_HELPER1_TOKEN": "helper-secret-1",
    "ROOMWATCH_MOD1_TOKEN": "moderator-secret-1",
    "FEISHU_HOOK_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/x",
    "FEISHU_SECRET": "feishu-secret",
}


def check_config(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROOMWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "roomwatch", "check-config", str(path)],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
        check=False,
    )


def test_the_shipped_example_is_ok() -> None:
    done = check_config(EXAMPLE, **EXAMPLE_ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"ok: {EXAMPLE}: serve 127.0.0.1:8686; ")
    assert "2 tokens" in lines[0] and "sources: 1 websocket, 1 replay, 0 bilibili" in lines[0]
    assert "1 webhook" in lines[0] and "config " in lines[0]
    assert "secret" not in done.stdout
    # The example's recording does not exist here: said, but no reason to refuse.
    assert lines[1:] == [
        "  warning: sources.replay[0].paths[0]: no such file: "
        "'var/recordings/county-apples-1126-f958fac895/"
        "county-apples-1126-f958fac895-20261205T090000.000Z.jsonl.gz'"
    ]


def test_missing_model_and_lexicon_folders_are_problems(tmp_path: Path) -> None:
    # A walkthrough's config passed check-config and then serve refused it.
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'[model]\nmodels_dir = "{tmp_path / "nope"}"\nlexicons_dir = "{tmp_path}"\n',
        encoding="utf-8",
    )
    done = check_config(bad)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        f"{bad}: 2 problems",
        f"  model.models_dir: '{tmp_path / 'nope'}' is not a folder",
        f"  model.lexicons_dir: '{tmp_path}' holds no evasion.tsv, patterns.tsv, emotes.tsv,"
        " emoji.tsv, userdict.txt, terms/insult.txt, terms/profanity.txt, terms/sexual.txt,"
        " terms/ad.txt, terms/grievance.txt, terms/question.txt, terms/positive.txt,"
        " terms/allow.txt",
    ]


def test_a_lexicons_folder_check_config_passes_is_one_classify_loads(tmp_path: Path) -> None:
    # The review: a folder with only some of the files passed check-config and
    # then failed classify (cannot read emotes.tsv). Copy what the check asks for.
    import shutil

    from roomwatch.config.check import _LEXICON_FILES

    lexicons = tmp_path / "lx"
    for name in _LEXICON_FILES:
        (lexicons / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "lexicons" / name, lexicons / name)
    config = tmp_path / "lx.toml"
    config.write_text(f'[model]\nlexicons_dir = "{lexicons}"\n', encoding="utf-8")
    assert check_config(config).returncode == 0
    done = subprocess.run(
        [sys.executable, "-m", "roomwatch", "classify", "-c", str(config)],
        input="主播好美",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"label":"chatter"' in done.stdout


def test_the_example_names_each_unset_secret() -> None:
    done = check_config(EXAMPLE)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        f"{EXAMPLE}: 4 problems",
        "  tokens[0].token names environment variable 'ROOMWATCH_HELPER1_TOKEN', which is unset",
        "  tokens[1].token names environment variable 'ROOMWATCH_MOD1_TOKEN', which is unset",
        "  webhooks[0].url names environment variable 'FEISHU_HOOK_URL', which is unset",
        "  webhooks[0].secret names environment variable 'FEISHU_SECRET', which is unset",
    ]


def test_a_broken_file_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        """
[server]
port = "8686"

[alerts.negative_spike]
windw = 20

[queue]
top_n = 0

[[webhooks]]
name = "ops"
url = "https://example.com/hook"
format = "teams"

[moderation]
actions_per_minutes = 3
""",
        encoding="utf-8",
    )
    done = check_config(bad)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        f"{bad}: 5 problems",
        "  server.port must be an integer from 0 to 65535, not '8686'",
        "  alerts.negative_spike is not a known key (did you mean 'negative_sentiment'?); "
        "docs/config.md lists every key of [alerts]",
        "  queue.top_n must be an integer at least 1, not 0",
        "  webhooks[0].format must be one of 'json', 'feishu', 'dingtalk', 'wecom', 'slack', "
        "not 'teams'",
        "  moderation.actions_per_minutes is not a known key (did you mean 'actions_per_minute'?); "
        "docs/config.md lists every key of [moderation]",
    ]


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    missing = check_config(tmp_path / "nope.toml")
    assert missing.returncode == 2 and "does not exist" in missing.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\nport = 1", encoding="utf-8")
    done = check_config(broken)
    assert done.returncode == 2 and "is not valid TOML" in done.stdout


def test_two_webhooks_with_one_name_are_refused_before_serve(tmp_path: Path) -> None:
    # The name labels a target's metrics, so the webhook sink refuses a
    # repeat when serve starts; check-config must not call that file ok.
    path = tmp_path / "hooks.toml"
    path.write_text(
        """
[[webhooks]]
name = "ops"
url = "https://example.com/a"

[[webhooks]]
name = "ops"
url = "https://example.com/b"
""",
        encoding="utf-8",
    )
    done = check_config(path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        f"{path}: 1 problem",
        "  webhooks[1].name 'ops' is already the name of webhooks[0]",
    ]


def test_addresses_and_the_streams_section_are_checked(tmp_path: Path) -> None:
    # An operator's typos that check-config called ok: serve, the gateway or
    # a worker then failed on them (or a source retried a wrong URL forever).
    path = tmp_path / "typos.toml"
    path.write_text(
        """
[streams]
redis_url = "redis//127.0.0.1:6390"
action_secret = "short"

[[sources.websocket]]
url = "http://127.0.0.1:9000/x"

[[webhooks]]
name = "ops"
url = "https://exa mple.com/x"
""",
        encoding="utf-8",
    )
    done = check_config(path)
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout
    assert "streams.redis_url" in out and "redis://" in out
    assert "streams.action_secret has 5 characters" in out
    assert "sources.websocket[0].url must be a ws:// or wss:// URL" in out
    assert "webhooks[0].url must be an http(s) URL with a host" in out
    # A bad port is a problem too (it was a traceback), and what redis-py takes
    # for localhost stays fine.
    for url, ok in (
        ("redis://cache:99999/0", False),
        ("redis://cache:abc/0", False),
        ("redis://:s3cret@/0", True),
        ("unix:///run/redis.sock", True),
        ("redis://[::1]:6379/0", True),
    ):
        path.write_text(f'[streams]\nredis_url = "{url}"\n', encoding="utf-8")
        done = check_config(path)
        assert done.returncode == (0 if ok else 2), (url, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert "s3cret" not in done.stdout

"""bench/run.py runs end to end on a tiny input (the CI smoke test; no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_run_prints_one_table_on_the_mini_sample(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    args = ["--input", "mini", "--runs", "1", "--naive-n", "40"]
    args += ["--tmp", str(tmp_path / "work"), "--json", str(out)]
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), *args],
        capture_output=True,
        check=False,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout.decode()[-2000:] + result.stderr.decode()[-2000:]
    table = result.stdout.decode()
    for row in ("jieba.lcut", "naive", "classify", "replay --speed 0", "ready", "peak RSS"):
        assert row in table
    report = json.loads(out.read_text())
    assert report["texts"] == 187 and report["records"] == 203
    rows = report["rows"]
    assert set(rows) == {
        "jieba.lcut",
        "classify",
        "replay --speed 0",
        "naive",
        "classify (naive's texts)",
        "ready",
    }
    assert rows["naive"]["items"] == 40
    for row in rows.values():
        assert len(row["runs"]) == 1
        assert row["cpu_s"] > 0 and row["peak_rss_mb"] > 0
    assert set(report["ratios"]) == {"classify_vs_jieba", "replay_vs_jieba", "classify_vs_naive"}
    # Derived files go to --tmp, never into the repository.
    assert (tmp_path / "work" / "mini.texts.txt").is_file()


@pytest.mark.slow
def test_bench_floor_prints_its_parts(tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    lines = ["主播好", "3号链接多少钱", "包邮吗", "主播好", "哈哈哈哈", "这首歌叫什么"]
    texts.write_text("\n".join(lines * 20) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "floor.py"), "--texts", str(texts), "--runs", "1"],
        capture_output=True,
        check=False,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    out = result.stdout.decode()
    assert out.startswith("120 texts, 5 distinct; median of 1")
    for part in ("start", "normalize", "segment", "classify", "lines", "jieba.lcut", "floor:"):
        assert part in out

"""Start-up is lazy: a command imports only what it runs.

Read from ``python -X importtime`` (every module a process imports, in a real
subprocess): registering the commands imports none of their code, and
``classify`` never loads the web stack, the store, the moderation dashboard,
the report or zhconv's pkg_resources-importing module. The question queue's
slot extractor (about 90 regexes) is imported when a queue first folds a
question or a triage stage is built, and the normaliser does not pull in
``numpy.ma``. ``settle_heap`` turns the collector back on after a start-up
that ran without it (``classify``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

#: Never needed to classify comments from stdin.
NOT_FOR_CLASSIFY = (
    "aiohttp",
    "websockets",
    "sqlite3",
    "roomwatch.store",
    "roomwatch.web",
    "roomwatch.service",
    "roomwatch.moderation.runtime",
    "roomwatch.moderation.outbound",
    "roomwatch.report.cli",
    "roomwatch.report.build",
    "roomwatch.training.train",
    "sklearn",
    "zhconv.zhconv",
    "pkg_resources",
    "roomwatch.core.slots",  # the question queue's extractor: only when a queue folds
    # The stages classify builds none of, and what only they need: the alert
    # manager and detectors, the question queue, the hub's authorisation.
    "roomwatch.stages.alert",
    "roomwatch.stages.triage",
    "roomwatch.stages.flag",
    "roomwatch.core.alerts.manager",
    "roomwatch.core.alerts.values",
    "roomwatch.core.queue.queue",
    "roomwatch.core.queue.events",
    "roomwatch.authz",
    "prometheus_client",  # nothing exports classify's metrics (metrics/unexported.py)
    "multiprocessing",  # analysis processes: only when pipeline.analysis_processes > 0
    "importlib.metadata",  # (the segmenter's cache key reads jieba's __init__.py instead)
)
#: The other commands' parsers (and the readers and importers they import):
#: ``main`` builds only classify's.
OTHER_PARSERS = (
    "roomwatch.recordings",
    "roomwatch.training",
    "roomwatch.report.parser",
    "roomwatch.streams",
    "roomwatch.moderation.cli",
)


def _imported(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_building_the_parser_imports_no_command() -> None:
    code = "from roomwatch.cli import build_parser; build_parser()"
    modules = _imported("-c", code)
    assert "roomwatch.cli" in modules
    heavy = {"numpy", "asyncio", "roomwatch.config", "roomwatch.offline", "roomwatch.compose"}
    assert sorted(m for m in modules if m in heavy or m.startswith(NOT_FOR_CLASSIFY)) == []


def test_classify_imports_only_what_it_uses() -> None:
    modules = _imported("-m", "roomwatch", "classify")
    assert {"roomwatch.offline", "roomwatch.core.analyze", "numpy"} <= modules
    assert sorted(m for m in modules if m.startswith(NOT_FOR_CLASSIFY + OTHER_PARSERS)) == []


def _fresh_python(code: str) -> str:
    """What ``code`` prints in a fresh interpreter with this tree's ``src``."""
    return subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=SRC.parent,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    ).stdout


def _loaded_after(code: str) -> set[str]:
    return set(_fresh_python(code + "\nimport sys\nprint('\\n'.join(sys.modules))").split())


def test_classify_start_skips_the_slot_extractor_and_numpy_ma() -> None:
    loaded = _loaded_after(
        "from pathlib import Path\n"
        "import roomwatch.config, roomwatch.compose, roomwatch.offline\n"
        "from roomwatch.core.analyze import Analyzer\n"
        "from roomwatch.core.record import Comment\n"
        "a = Analyzer.load(Path('models'), Path('lexicons'))\n"
        "texts = ('傻 逼', 'ｓｂ主播', '哈哈哈哈哈', '多少钱?')\n"
        "a.analyze([Comment('r', t, 0.0) for t in texts])\n"
    )
    assert "roomwatch.core.queue" in loaded  # (the config's schema needs it)
    assert "roomwatch.core.slots" not in loaded
    assert "numpy.ma" not in loaded


def test_a_triage_stage_loads_the_slot_extractor_when_built() -> None:
    loaded = _loaded_after(
        "from roomwatch.stages.triage import TriageStage\n"
        "import sys\n"
        "assert 'roomwatch.core.slots' not in sys.modules\n"
        "TriageStage()\n"
    )
    assert "roomwatch.core.slots" in loaded


def test_a_queue_folds_without_a_stage() -> None:
    loaded = _loaded_after(
        "from roomwatch.core.queue import QuestionQueue, QueueConfig\n"
        "from roomwatch.core.record import Comment\n"
        "q = QuestionQueue('r', QueueConfig())\n"
        "text = '几号链接多少钱'\n"
        "events = q.add(Comment('r', text, 1.0), text, ['几号', '链接', '多少', '钱'], 0.9, 1.0)\n"
        "assert events[0].type == 'added' and events[0].item.intent == 'price', events\n"
    )
    assert "roomwatch.core.slots" in loaded


def test_settle_heap_turns_the_collector_back_on() -> None:
    # classify starts with the collector off and settles the heap without a
    # full collection; the collector must run again afterwards.
    out = _fresh_python(
        "import gc\n"
        "gc.disable()\n"
        "garbage = [[]]\n"
        "garbage[0].append(garbage)\n"
        "del garbage\n"
        "from roomwatch.heap import FULL_AFTER, YOUNG_THRESHOLD, settle_heap\n"
        "settle_heap(collect=False)\n"
        "assert gc.isenabled()\n"
        "assert gc.get_freeze_count() > 0\n"
        "assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, FULL_AFTER)\n"
        "cycle = [[]]\n"
        "cycle[0].append(cycle)\n"
        "del cycle\n"
        "print(gc.collect())\n"
    )
    assert int(out) >= 2  # the new cycle is collected (the frozen one is not)


def _classify_threads(env: dict[str, str]) -> tuple[str, str]:
    """``OPENBLAS_NUM_THREADS`` after ``roomwatch classify`` (empty stdin) in a
    fresh interpreter, and how many threads the process then has."""
    code = (
        "import os, sys\n"
        "from roomwatch.cli import main\n"
        "assert 'numpy' not in sys.modules\n"
        "main(['classify'])\n"
        "assert 'numpy' in sys.modules\n"
        "tasks = len(os.listdir('/proc/self/task')) if os.path.isdir('/proc/self/task') else 1\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'), tasks)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=SRC.parent,
        stdin=subprocess.DEVNULL,
        env={**env, "PYTHONPATH": str(SRC)},
    ).stdout.split()
    return out[0], out[1]


def test_classify_starts_numpy_with_one_blas_thread() -> None:
    # OpenBLAS's extra threads cost start-up CPU and nothing in classify uses them.
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert _classify_threads(env) == ("1", "1")
    # What the environment says is kept.
    assert _classify_threads({**env, "OPENBLAS_NUM_THREADS": "2"})[0] == "2"


def test_classify_collects_the_young_generation_less_often() -> None:
    out = _fresh_python(
        "import gc, sys\n"
        "from roomwatch.cli import main\n"
        "sys.stdin = open('/dev/null')\n"
        "main(['classify'])\n"
        "from roomwatch.heap import FULL_AFTER\n"
        "from roomwatch.offline import FLAT_OUT_YOUNG\n"
        "assert gc.isenabled()\n"
        "assert gc.get_threshold() == (FLAT_OUT_YOUNG, 10, FULL_AFTER), gc.get_threshold()\n"
        "print('ok')\n"
    )
    assert out.strip() == "ok"


def test_a_flat_out_replay_collects_the_young_generation_less_often() -> None:
    for speed, young in (("0", "FLAT_OUT_YOUNG"), ("1000", "YOUNG_THRESHOLD")):
        out = _fresh_python(
            "import gc, os\n"
            "from roomwatch.cli import main\n"
            f"main(['replay', '--speed', '{speed}', 'samples/mini.jsonl', '--out', os.devnull])\n"
            "from roomwatch.heap import YOUNG_THRESHOLD\n"
            "from roomwatch.offline import FLAT_OUT_YOUNG\n"
            f"assert gc.get_threshold()[0] == {young}, gc.get_threshold()\n"
            "print('ok')\n"
        )
        assert out.strip().endswith("ok")

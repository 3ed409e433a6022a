"""What ``classify`` does not load at start (issue #14: start-up is part of its cost).

The question queue's slot extractor (about 90 regexes) is imported by the
queue only when it first folds a question, or when a triage stage is built;
the normaliser's screen does not pull in ``numpy.ma``. Each check runs in a
fresh interpreter, so what other tests imported does not count.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return set(out.split())


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

"""Record a live run, replay the recording, and get the same decisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from roomwatch.core.result import Result
from roomwatch.service import Service

from .conftest import SAMPLES, ingest, read_recording
from .support.wait import wait_for

SCENARIO = SAMPLES / "scenario-alerts.jsonl.gz"


def key(v: dict[str, Any]) -> tuple[Any, ...]:
    return (v["id"], v["label"], v["scores"], v["sentiment"], v["model"], v["lexicons"])


async def test_live_run_replays_to_identical_verdicts_and_alerts(
    service: Service, tmp_path: Path
) -> None:
    live_verdicts: list[dict[str, Any]] = []
    live_alerts: list[dict[str, Any]] = []

    def capture(results: Sequence[Result]) -> None:
        live_verdicts.extend(r.to_dict() for r in results if not hasattr(r, "reason"))

    service.pipeline.add_output(capture)
    service.alerts.add_listener(lambda e: live_alerts.append(e.to_dict()))
    rows = [r for r in read_recording(SCENARIO) if r["ts"] < 1764115200.0 + 1000]
    # A few records arrive without ts; the live run stamps its receive time.
    for r in rows[::97]:
        r.pop("ts")
    await ingest(service, rows, chunk=700)
    await wait_for(
        lambda: service.pipeline.processed >= len(rows),
        60,
        what="every record to be processed",
        show=lambda: service.pipeline.processed,
    )
    assert service.recorder is not None
    await service.recorder.aclose()  # flush and compress, as at shutdown
    assert any(a["type"] == "open" for a in live_alerts)

    files = sorted((tmp_path / "recordings").rglob("*.jsonl*"))
    assert files and all(f.name.endswith(".jsonl.gz") for f in files)
    out, alerts = tmp_path / "verdicts.jsonl", tmp_path / "alerts.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "roomwatch",
            "replay",
            *map(str, files),
            "--out",
            str(out),
            "--alerts",
            str(alerts),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    replayed = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    replayed_alerts = [json.loads(x) for x in alerts.read_text(encoding="utf-8").splitlines()]

    assert len(replayed) == len(live_verdicts) == len(rows)
    assert [key(v) for v in replayed] == [key(v) for v in live_verdicts]
    # The config hash differs (the live service has tokens and ports set), the
    # model and lexicons are the same; both are stamped on every verdict.
    assert all(v["config"] for v in replayed)

    def alert_key(e: dict[str, Any]) -> tuple[Any, ...]:
        a = e["alert"]
        return (e["type"], a["id"], a["detector"], a["severity"], a["started_at"], a["summary"])

    # `system` alerts are about the live process, not the records: posting a
    # recording from last year live makes its rooms' end-to-end lag huge (a
    # lag alert), which a replay, with no wall clock in it, never sees.
    live_room_alerts = [e for e in live_alerts if e["alert"]["detector"] != "system"]
    assert {e["alert"]["key"] for e in live_alerts if e["alert"]["detector"] == "system"} <= {
        f"lag:{r['room']}" for r in rows
    }
    assert [alert_key(e) for e in replayed_alerts] == [alert_key(e) for e in live_room_alerts]


def test_replays_agree_across_string_hash_seeds(tmp_path: Path) -> None:
    """Two processes hash strings differently (PYTHONHASHSEED); alerts must not
    depend on it, or a reviewer's replay disagrees with the live run."""
    recording = tmp_path / "busy.jsonl"
    rows = read_recording(SAMPLES / "demo.jsonl.gz")
    # The demo rooms, four times over in record time: long enough for word
    # clusters of grievances to form and compete.
    span = rows[-1]["ts"] - rows[0]["ts"] + 1
    with recording.open("w", encoding="utf-8") as fh:
        for k in range(4):
            for r in rows:
                fh.write(
                    json.dumps({**r, "id": f"{k}-{r.get('id')}", "ts": r["ts"] + k * span}) + "\n"
                )
    outputs = []
    for seed in ("1", "2"):
        alerts = tmp_path / f"alerts-{seed}.jsonl"
        argv = ["replay", str(recording), "--speed", "0", "--alerts", str(alerts)]
        proc = subprocess.run(
            [sys.executable, "-m", "roomwatch", *argv],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(alerts.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") > 0

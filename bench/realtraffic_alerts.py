"""What the comms alerts raise on real barrage replayed as live rooms.

Run from the repo root::

    .venv/bin/python bench/realtraffic_alerts.py [--data DIR] [--config roomwatch.toml]

The 177,900 comments of ``bilibili_video_danmaku.tsv`` become one recording
(written to a temporary folder outside the repository: the text is
unlicensed), one room per video, each comment at its position in the video
(``video_s``): everyone who ever watched a video, watching it together. Real
barrage is ordinary chatter with the odd burst of jokes, roll-calls and
arguments, so every alert raised on it is one a comms person would have to
look at and dismiss; there is no incident in it to find. ``roomwatch replay
--alerts`` runs it through the same composition root as ``serve`` (with
``--config``, that file's ``[alerts]`` and ``[model]``), and this prints the
alerts opened per detector and severity, the total replayed span in room
hours, and how long the outage alerts stayed open.

It prints figures only, never a comment's text.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import realtraffic_eval as ev  # noqa: E402

T0 = 1_700_000_000.0


def write_recording(data: Path, out: Path) -> float:
    """Write the recording; return its span summed over rooms, in seconds."""
    rows = []
    lines = (data / ev.SOURCE).read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines[1:]):
        if not line:
            continue
        video, _, video_s, text = line.split("\t", 3)
        rows.append((T0 + float(video_s), f"v{video}", f"r{i}", text))
    rows.sort()
    spans: dict[str, list[float]] = {}
    with out.open("w", encoding="utf-8") as f:
        for ts, room, rid, text in rows:
            record = {"room": room, "text": text, "ts": ts, "id": rid, "user": {"id": "u" + rid}}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            first_last = spans.setdefault(room, [ts, ts])
            first_last[1] = ts
    return sum(last - first for first, last in spans.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help=f"folder holding {ev.SOURCE}")
    ap.add_argument("--config", type=Path, default=None, help="a roomwatch.toml for the replay")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="roomwatch-rt-alerts-") as tmp:
        recording = Path(tmp) / "realtraffic.jsonl"
        alerts = Path(tmp) / "alerts.jsonl"
        span = write_recording(args.data or ev.default_data(), recording)
        cmd = [sys.executable, "-m", "roomwatch", "replay", str(recording), "--alerts", str(alerts)]
        if args.config is not None:
            cmd += ["--config", str(args.config)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        events = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines()]
    opened: Counter[tuple[str, str]] = Counter()
    started: dict[str, float] = {}
    open_for: list[float] = []
    for e in events:
        alert = e["alert"]
        if e["type"] == "open":
            opened[(alert["detector"], alert["severity"])] += 1
            started[alert["id"]] = e["ts"]
        elif e["type"] == "resolve" and alert["detector"] == "volume_drop":
            open_for.append(e["ts"] - started[alert["id"]])
    print(f"replayed {span / 3600:.1f} room hours")
    for (detector, severity), n in sorted(opened.items()):
        print(f"  {detector:16s} {severity:8s} {n:5d} opened")
    print(f"  all alerts: {sum(opened.values())}")
    if open_for:
        print(f"  volume_drop open for: median {statistics.median(open_for):.1f} s")


if __name__ == "__main__":
    main()

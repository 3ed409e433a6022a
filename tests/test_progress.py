"""The progress line: silent off a terminal, count / rate / ETA on one, throttled."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from roomwatch.progress import Progress

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _last(out: io.StringIO) -> str:
    """The line as the terminal shows it now: the text after the last carriage return."""
    return out.getvalue().rstrip("\n").rsplit("\r", 1)[-1]


def test_prints_nothing_when_not_a_tty() -> None:
    out = io.StringIO()  # isatty() is False
    clock = FakeClock()
    with Progress(1000, "report", stream=out, clock=clock) as bar:
        for _ in range(1000):
            clock.now += 0.01
            bar.update()
    assert not bar.enabled
    assert out.getvalue() == ""


def test_a_terminal_stream_turns_it_on() -> None:
    out = FakeTty()
    with Progress(10, "report", stream=out) as bar:
        bar.update(10)
    assert bar.enabled
    assert "report" in out.getvalue()


def test_is_tty_override_wins_over_the_stream() -> None:
    out = FakeTty()
    with Progress(10, stream=out, is_tty=False) as bar:
        bar.update(10)
    assert out.getvalue() == ""


def test_shows_count_rate_and_eta_on_a_tty() -> None:
    out = io.StringIO()
    clock = FakeClock()
    bar = Progress(1000, "report", stream=out, is_tty=True, clock=clock)
    for _ in range(250):
        clock.now += 0.01  # 100 records per second
        bar.update()
    last = _last(out)
    assert last.startswith("report")
    assert "/1,000" in last
    rate = re.search(r"([\d.]+)/s", last)
    assert rate is not None
    assert abs(float(rate.group(1)) - 100) < 1
    # 750 left at 100/s: 7.5 s, shown as 00:07 or 00:08.
    assert "ETA 00:0" in last
    assert "25%" in last or "24%" in last
    assert "█" in last and "░" in last
    bar.close()
    assert out.getvalue().endswith("\n")
    assert "250/1,000" in _last(out)


def test_unknown_total_shows_count_and_rate_without_eta() -> None:
    out = io.StringIO()
    clock = FakeClock()
    with Progress(None, "replay", stream=out, is_tty=True, clock=clock) as bar:
        for _ in range(30):
            clock.now += 0.5
            bar.update(10)
    last = _last(out)
    assert last.startswith("replay  300  20.0/s")
    assert "ETA" not in last
    assert "%" not in last


def test_redraws_at_most_ten_times_a_second() -> None:
    out = io.StringIO()
    clock = FakeClock()
    bar = Progress(None, stream=out, is_tty=True, clock=clock)
    # 10,000 updates over 2 simulated seconds: about 20 redraws, not 10,000.
    for _ in range(10_000):
        clock.now += 0.0002
        bar.update()
    draws = out.getvalue().count("\r")
    assert 15 <= draws <= 22
    bar.close()
    bar.close()  # idempotent
    assert out.getvalue().count("\n") == 1
    assert _last(out).startswith("10,000  ")


def test_set_total_later_enables_the_eta() -> None:
    out = io.StringIO()
    clock = FakeClock()
    bar = Progress(None, stream=out, is_tty=True, clock=clock)
    bar.set_total(200)
    clock.now += 1
    bar.update(50)
    assert "ETA 00:03" in bar.line()
    assert bar.total == 200
    bar.close()


def test_replay_draws_its_line_on_a_terminal_that_reports_no_size(tmp_path: Path) -> None:
    # A pseudo-terminal nobody sized (script(1), CI runners, `docker exec -t`
    # before the resize) reports 0 x 0. tqdm then takes the line to be below
    # the last row and drew nothing at all: `roomwatch replay` printed two
    # empty lines instead of its progress. Run it for real on such a pty.
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    out = tmp_path / "verdicts.jsonl"
    replay = ["replay", str(SAMPLES / "mini.jsonl"), "--speed", "0", "--out", str(out)]
    with subprocess.Popen(
        [sys.executable, "-m", "roomwatch", *replay],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    ) as proc:
        os.close(slave)
        drawn = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        stdout, _ = proc.communicate(timeout=120)
    os.close(master)
    assert proc.returncode == 0, stdout
    final = drawn.decode().replace("\r\n", "\n").rstrip("\n").rsplit("\r", 1)[-1]
    assert final.startswith("replay  ") and "100%" in final and "203/203" in final, drawn

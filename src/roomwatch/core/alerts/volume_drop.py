"""``volume_drop``: the feed goes silent in a room that normally has traffic.

Checked by :meth:`AlertManager.tick` (record time passes with no comment):
a warm room whose expected rate is at least ``outage_min_rate`` comments a
second and that has been silent for ``outage_silence_seconds`` and for
``outage_gap_factor`` times its expected gap. It opens as info (most such
silences end within seconds, the next comment resolving them), is a warning
after ``outage_warning_seconds`` and critical after
``outage_critical_seconds``. Any record ends the outage at once (the manager
resolves it); while the feed is down every baseline learns slowly.

The expected rate is the slower of the room's baseline (half-life
``baseline_half_life_seconds``) and its pace just before the silence
(:func:`pace_rate`, about the last ``outage_pace_seconds``). A feed that
stops stops at full pace; a room winding down (the stream ending, viewers
leaving after a rush) goes quiet gradually, and its long gaps are its pace,
not an outage. Stop 22 replayed 178,000 real barrage comments as 81 rooms:
judged against the baseline alone, rooms whose traffic was tailing off opened
973 outage alerts, each ended by the next comment a few seconds later; judged
at the pace, 257. The time the feed is down does not age the pace
(:func:`end`), so a feed that comes back and dies again is found again.
"""

from __future__ import annotations

import math

from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.state import Room, warm
from roomwatch.core.alerts.values import AlertEvent, Evidence

__all__ = ["end", "evaluate", "expected_rate", "note", "pace_rate"]


def note(room: Room, ts: float, n: int, cfg: AlertConfig) -> None:
    """Count ``n`` comments arriving at ``ts`` (not before the last one) in the pace."""
    room.pace = room.pace * math.exp((room.pace_ts - ts) / cfg.outage_pace_seconds) + n
    room.pace_ts = ts


def pace_rate(room: Room, cfg: AlertConfig) -> float:
    """Comments a second at the room's last comment, averaged over about
    ``outage_pace_seconds``: an exponential average, divided by the weight
    the room's age gives it, so a steady rate r reads r from the start."""
    tau = cfg.outage_pace_seconds
    age = max(room.pace_ts - room.first_ts, 1.0)
    return room.pace / (tau * -math.expm1(-age / tau))


def expected_rate(room: Room, cfg: AlertConfig) -> float:
    """The rate an outage is judged at: the slower of the baseline and the pace."""
    return min(room.baseline.mean("n"), pace_rate(room, cfg))


def end(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    """A record after silence: the open outage resolves, and the pace ages only
    by the silence before the outage opened, not by the time the feed was
    down (a feed that comes back and dies again is judged at about the pace it
    had when it first died)."""
    state = room.active.get(("volume_drop", ""))
    alert = life.alerts.get(state.alert_id) if state is not None else None
    if alert is not None and alert.started_at < now:
        room.pace_ts += now - alert.started_at
    life.resolve(room, "volume_drop", "", now, events)


def evaluate(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    cfg = life.config
    key = ("volume_drop", "")
    if key in room.active:
        silence = now - room.last_ts
        state = room.active[key]
        level = _level(silence, cfg)
        if level > state.level:
            rate = expected_rate(room, cfg)
            life.emit_update(
                room,
                "volume_drop",
                "",
                now,
                level,
                silence,
                *_outage_text(room, silence, rate),
                events,
            )
        return
    if not warm(room, cfg):
        return
    rate = expected_rate(room, cfg)
    if rate < cfg.outage_min_rate:
        return
    silence = now - room.last_ts
    need = max(cfg.outage_silence_seconds, cfg.outage_gap_factor / rate)
    if silence >= need:
        level = _level(silence, cfg)
        life.step(
            room,
            "volume_drop",
            "",
            now,
            True,
            False,
            level,
            silence,
            lambda: _outage_text(room, silence, rate),
            events,
        )


def _level(silence: float, cfg: AlertConfig) -> int:
    """Info, warning (1) or critical (2) after ``silence`` seconds of it."""
    if silence >= cfg.outage_critical_seconds:
        return 2
    return 1 if silence >= cfg.outage_warning_seconds else 0


def _outage_text(room: Room, silence: float, rate: float) -> tuple[str, Evidence]:
    ev = Evidence(
        count=0,
        window_seconds=silence,
        rate_per_min=0.0,
        baseline_per_min=rate * 60.0,
    )
    summary = (
        f"直播间「{room.name}」评论流疑似中断：已{silence:.0f}秒没有新评论"
        f"（此前约每分钟{rate * 60:.0f}条）。"
    )
    return summary, ev

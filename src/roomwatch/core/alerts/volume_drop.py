"""``volume_drop``: the feed goes silent in a room that normally has traffic.

Checked by :meth:`AlertManager.tick` (record time passes with no comment):
a warm room whose baseline is at least ``outage_min_rate`` comments a second
and that has been silent for ``outage_silence_seconds`` and for
``outage_gap_factor`` times its expected gap. Critical after
``outage_critical_seconds``. Any record ends the outage at once (the manager
resolves it); while the feed is down every baseline learns slowly.
"""

from __future__ import annotations

from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.state import Room, warm
from roomwatch.core.alerts.values import AlertEvent, Evidence

__all__ = ["evaluate"]


def evaluate(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    cfg = life.config
    key = ("volume_drop", "")
    if key in room.active:
        silence = now - room.last_ts
        state = room.active[key]
        if silence >= cfg.outage_critical_seconds and state.level < 2:
            rate = room.baseline.mean("n")
            life.emit_update(
                room,
                "volume_drop",
                "",
                now,
                2,
                silence,
                *_outage_text(room, silence, rate),
                events,
            )
        return
    if not warm(room, cfg):
        return
    rate = room.baseline.mean("n")
    if rate < cfg.outage_min_rate:
        return
    silence = now - room.last_ts
    need = max(cfg.outage_silence_seconds, cfg.outage_gap_factor / rate)
    if silence >= need:
        level = 2 if silence >= cfg.outage_critical_seconds else 1
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


def _outage_text(room: Room, silence: float, rate: float) -> tuple[str, Evidence]:
    ev = Evidence(
        count=0,
        window_seconds=silence,
        rate_per_min=0.0,
        baseline_per_min=rate * 60.0,
    )
    summary = (
        f"直播间「{room.name}」评论流疑似中断：已{silence:.0f}秒没有新评论"
        f"（平时约每分钟{rate * 60:.0f}条）。"
    )
    return summary, ev

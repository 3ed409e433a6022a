"""``volume_surge``: comment volume explodes (``info`` only).

The window holds at least ``surge_min_count`` comments and ``surge_ratio``
times the baseline volume. A flash sale that multiplies volume by five is
normal business, so this fires only at a much higher multiple and only ever
at ``info`` severity; whether a surge is *bad* is for the share-based
detectors, which volume does not move.
"""

from __future__ import annotations

from roomwatch.core.alerts.config import AlertConfig
from roomwatch.core.alerts.lifecycle import Lifecycle
from roomwatch.core.alerts.state import Room, held
from roomwatch.core.alerts.values import AlertEvent, Evidence

__all__ = ["evaluate", "may_fire"]


def may_fire(room: Room, cfg: AlertConfig) -> bool:
    """Whether :func:`evaluate` finds the surge firing (the same floats).

    Not firing and not open, :func:`evaluate` does nothing. The baseline
    changes only when the room's record second does, so its volume is
    worked out once a second (``room.surge_memo``).
    """
    memo = room.surge_memo
    if memo is None or memo[0] != room.sec:
        memo = room.surge_memo = (room.sec, room.baseline.mean("n") * held(room))
    n = room.window["n"]
    base = memo[1]
    ratio = n / base if base > 0 else 0.0
    return n >= cfg.surge_min_count and ratio >= cfg.surge_ratio


def evaluate(life: Lifecycle, room: Room, now: float, events: list[AlertEvent]) -> None:
    cfg = life.config
    n = room.window["n"]
    base = room.baseline.mean("n") * held(room)
    ratio = n / base if base > 0 else 0.0
    firing = n >= cfg.surge_min_count and ratio >= cfg.surge_ratio
    if not firing and ("volume_surge", "") not in room.active:
        return  # what the lifecycle makes of it: no event (and no closure to build)
    below = ratio < cfg.surge_ratio / 2

    def build() -> tuple[str, Evidence]:
        ev = Evidence(
            count=n,
            window_seconds=held(room),
            rate_per_min=n * 60.0 / held(room),
            baseline_per_min=room.baseline.mean("n") * 60.0,
        )
        summary = (
            f"直播间「{room.name}」评论量激增：近{held(room)}秒{n}条，约为平时的{ratio:.1f}倍。"
        )
        return summary, ev

    life.step(room, "volume_surge", "", now, firing, below, 0, n, build, events)

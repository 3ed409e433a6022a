"""volume_surge: comment volume explodes (info only)."""

from __future__ import annotations

from roomwatch.core.alerts import (
    AlertConfig,
    AlertEvent,
    AlertManager,
    volume_surge,
)
from roomwatch.core.alerts.lifecycle import Lifecycle

from .helpers import (
    T0,
    calm,
    fill,
    kinds,
    learned_room,
    run,
)


def test_volume_surge_only_info_and_not_for_flash_sale() -> None:
    m = AlertManager()
    flash = calm(T0 + 200, T0 + 300, rate=10.0, seed=3, negative_share=0.0)  # x5
    assert run(m, calm(T0, T0 + 400) + flash, T0 + 400) == []

    m = AlertManager()
    flood = calm(T0 + 200, T0 + 260, rate=30.0, seed=3, negative_share=0.0)  # x15
    events = run(m, calm(T0, T0 + 400) + flood, T0 + 400)
    seen = kinds(events)
    assert seen[0] == "open" and seen[-1] == "resolve"
    assert seen.count("open") == 1 and seen.count("resolve") == 1
    assert {(e.alert.detector, e.alert.severity) for e in events} == {("volume_surge", "info")}


# ----------------------------------------------------------------- the module itself


def test_evaluate_opens_at_the_surge_ratio_and_only_at_info() -> None:
    cfg = AlertConfig()
    life = Lifecycle(cfg)
    room = learned_room(rate=2.0)  # 40 comments in a 20 s window is normal
    now = room.now
    events: list[AlertEvent] = []
    fill(room, {"n": 300})  # x7.5: below surge_ratio (8)
    volume_surge.evaluate(life, room, now, events)
    assert events == []
    fill(room, {"n": 40})  # 340 = x8.5
    volume_surge.evaluate(life, room, now, events)
    assert [(e.kind, e.alert.detector, e.alert.severity) for e in events] == [
        ("open", "volume_surge", "info")
    ]
    assert events[0].alert.evidence.count == 340
    assert "约为平时的8.5倍" in events[0].alert.summary

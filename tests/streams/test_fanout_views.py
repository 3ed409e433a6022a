"""What the gateway's alerts channel shows right after a restart."""

from __future__ import annotations

from typing import Any

from roomwatch.streams.fanout import Views


class _Everyone:
    def wants(self, room: str | None) -> bool:
        return True


def _ids(views: Views) -> set[str]:
    (snapshot,) = views.alerts(_Everyone())  # type: ignore[arg-type]
    return {a["id"] for a in snapshot["alerts"]}


def test_the_stores_open_alerts_show_until_their_rooms_views_replace_them() -> None:
    # After a gateway restart the workers send a room's view only once the
    # room changes: comms staff saw 2 of 15 open alerts for 20 s. The store's
    # open alerts fill the gap; a room's view, when it comes, is the truth.
    views = Views(10)
    stored: list[dict[str, Any]] = [
        {"id": "al-1", "room": "r1", "state": "open"},
        {"id": "al-2", "room": "r2", "state": "acknowledged"},
    ]
    assert views.restore_alerts(stored) == 2
    assert _ids(views) == {"al-1", "al-2"}
    assert views.alert_room("al-2") == "r2"  # an ack finds its room
    views.update({"alerts": {"r1": []}})  # r1's worker: nothing open there now
    assert _ids(views) == {"al-2"}
    # A view that came first is not overwritten by an older stored copy.
    views.update({"alerts": {"r3": [{"id": "al-3", "room": "r3", "state": "open", "v": "new"}]}})
    assert views.restore_alerts([{"id": "al-3", "room": "r3", "state": "open", "v": "old"}]) == 0
    (snapshot,) = views.alerts(_Everyone())  # type: ignore[arg-type]
    assert next(a for a in snapshot["alerts"] if a["id"] == "al-3")["v"] == "new"

"""roomwatch_room_comments_total: rooms with a section by name, every other room as "other"."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from roomwatch.metrics import Metrics


def series(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    return {
        (s.labels["room"], s.labels["label"]): s.value
        for family in registry.collect()
        if family.name == "roomwatch_room_comments"
        for s in family.samples
        if s.name.endswith("_total")
    }


def test_only_named_rooms_get_a_label_and_a_removed_room_loses_its_series() -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    metrics.name_rooms(["apples"])
    metrics.count_rooms({("apples", "question"): 3, ("u-12345", "question"): 2, ("x", "abuse"): 1})
    assert series(registry) == {
        ("apples", "question"): 3,
        ("other", "question"): 2,
        ("other", "abuse"): 1,
    }
    metrics.name_rooms([])
    metrics.count_rooms({("apples", "question"): 1})
    assert series(registry) == {("other", "question"): 3, ("other", "abuse"): 1}


def test_lag_names_the_configured_rooms_up_to_the_limit_whatever_came_first() -> None:
    # A room with no section seen first used to take one of the named slots
    # (its "other" series counted), so the last configured room went unnamed.
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    metrics.lag_room_limit = 2
    metrics.name_rooms(["a", "b", "c"])
    for room in ("stranger", "a", "b", "c"):
        metrics.observe_lag(room, 1.0)

    def count(room: str) -> float | None:
        return registry.get_sample_value("roomwatch_verdict_lag_seconds_count", {"room": room})

    assert (count("a"), count("b")) == (1.0, 1.0)
    assert count("c") is None and count("stranger") is None
    assert count("other") == 2.0  # the stranger and c, past the limit
    # A room whose section goes loses its series.
    metrics.name_rooms(["b"])
    assert count("a") is None and count("b") == 1.0

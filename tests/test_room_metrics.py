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

"""The four Vector-style counters every component reports, and the shared buckets."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from roomwatch.metrics.unexported import metric_kinds

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter

STAGES = ("normalize", "segment", "classify", "triage", "alert", "publish")
COMPONENT_KINDS: Final = ("source", "transform", "sink")

_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)

#: Lag from a record's ts to its verdict: fetchers and networks add seconds.
_LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
#: The room label of rooms past ``pipeline.lag_metric_rooms``.
OTHER_ROOM: Final = "other"


# -- every component ----------------------------------------------------------


class ComponentFamilies:
    """The four component counters on one registry (see :func:`component_families`)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        counter, _, _ = metric_kinds(registry)
        labels = ["component_kind", "component_id"]
        self.received: Counter = counter(
            "roomwatch_component_received_events_total",
            "Events that reached a component.",
            labels,
            registry=registry,
        )
        self.sent: Counter = counter(
            "roomwatch_component_sent_events_total",
            "Events a component passed on (to the next component, a client, a file, "
            "a table or a webhook).",
            labels,
            registry=registry,
        )
        self.discarded: Counter = counter(
            "roomwatch_component_discarded_events_total",
            "Events a component dropped, by reason.",
            [*labels, "reason"],
            registry=registry,
        )
        self.errors: Counter = counter(
            "roomwatch_component_errors_total",
            "Errors a component hit (the events involved may be discarded too), by type.",
            [*labels, "error_type"],
            registry=registry,
        )
        self._components: dict[tuple[str, str], Component] = {}

    def component(self, kind: str, component_id: str) -> Component:
        """The handle of one component (made once, then cached)."""
        key = (kind, component_id)
        found = self._components.get(key)
        if found is None:
            if kind not in COMPONENT_KINDS:
                raise ValueError(f"component kind {kind!r} is not one of {COMPONENT_KINDS}")
            found = self._components[key] = Component(self, kind, component_id)
        return found


_FAMILIES: weakref.WeakKeyDictionary[CollectorRegistry, ComponentFamilies] = (
    weakref.WeakKeyDictionary()
)


def component_families(registry: CollectorRegistry) -> ComponentFamilies:
    """The component counters of ``registry``, declared on first use."""
    found = _FAMILIES.get(registry)
    if found is None:
        found = _FAMILIES[registry] = ComponentFamilies(registry)
    return found


class Component:
    """One component's counters with its kind and id filled in.

    ``labels()`` costs microseconds (it validates and locks), so the children
    are made once and kept: the reasons and error types are bounded sets.
    """

    __slots__ = ("_discarded", "_errors", "_families", "id", "kind", "received", "sent")

    def __init__(self, families: ComponentFamilies, kind: str, component_id: str) -> None:
        self._families = families
        self.kind = kind
        self.id = component_id
        self.received: Counter = families.received.labels(kind, component_id)
        self.sent: Counter = families.sent.labels(kind, component_id)
        self._discarded: dict[str, Counter] = {}
        self._errors: dict[str, Counter] = {}

    def discarded(self, reason: str) -> Counter:
        child = self._discarded.get(reason)
        if child is None:
            child = self._discarded[reason] = self._families.discarded.labels(
                self.kind, self.id, reason
            )
        return child

    def errors(self, error_type: str) -> Counter:
        child = self._errors.get(error_type)
        if child is None:
            child = self._errors[error_type] = self._families.errors.labels(
                self.kind, self.id, error_type
            )
        return child


class _Tee:
    """Increments several counters at once (received and its outcome)."""

    __slots__ = ("_counters",)

    def __init__(self, *counters: Counter) -> None:
        self._counters = counters

    def inc(self, amount: float = 1) -> None:
        for counter in self._counters:
            counter.inc(amount)


class _Labelled:
    """``labels(value)`` → a cached child: the sinks' call sites keep their shape."""

    __slots__ = ("_children", "_make")

    def __init__(self, make: Callable[[str], Counter | _Tee]) -> None:
        self._make = make
        self._children: dict[str, Counter | _Tee] = {}

    def labels(self, value: str) -> Counter | _Tee:
        child = self._children.get(value)
        if child is None:
            child = self._children[value] = self._make(value)
        return child

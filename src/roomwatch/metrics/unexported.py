"""The registry of a process that exports no metrics: the same calls, nothing kept.

``classify``, ``replay``, ``replay --compare`` and ``report`` build their
pipeline without a registry to serve (:func:`roomwatch.compose.build_pipeline`
with no ``metrics``): nothing ever scrapes them. Building :class:`Metrics` on
a ``prometheus_client.CollectorRegistry`` there cost ~0.03 CPU-s of every
start, nearly all of it importing ``prometheus_client`` (its exposition module
imports ``http.server``, ``wsgiref``, ``urllib.request`` and ``email``).

:class:`Unexported` stands in for the registry. The families
:class:`~roomwatch.metrics.Metrics` and
:func:`~roomwatch.metrics.component_families` declare on it are
:class:`NoMetric`: every call the pipeline and the stages make (``labels``,
``inc``, ``set``, ``set_function``, ``observe``, ``remove``) is accepted and
nothing is kept. A ``prometheus_client`` metric declared on it elsewhere (the
moderation stage's own counters) registers with it and is never collected.
:func:`metric_kinds` says which classes a registry takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["NoMetric", "Unexported", "metric_kinds"]


class Unexported:
    """A registry nothing is exported from (see the module docstring)."""

    __slots__ = ("__weakref__",)

    def register(self, collector: object) -> None:
        """A ``prometheus_client`` metric declared on this registry: never collected."""

    def unregister(self, collector: object) -> None:
        pass

    def collect(self) -> Iterator[Any]:
        return iter(())

    def get_sample_value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        return None


class NoMetric:
    """A counter, gauge or histogram (with or without labels) that keeps nothing."""

    __slots__ = ()

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        registry: object = None,
        buckets: Sequence[float] = (),
    ) -> None:
        pass

    def labels(self, *values: str) -> NoMetric:
        return self

    def remove(self, *values: str) -> None:
        pass

    def inc(self, amount: float = 1) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def set_function(self, fn: Callable[[], float]) -> None:
        pass

    def observe(self, value: float) -> None:
        pass


def metric_kinds(registry: object) -> tuple[Any, Any, Any]:
    """The ``(Counter, Gauge, Histogram)`` classes to declare on ``registry``:
    :class:`NoMetric` on an :class:`Unexported` one, else prometheus_client's."""
    if isinstance(registry, Unexported):
        return NoMetric, NoMetric, NoMetric
    from prometheus_client import Counter, Gauge, Histogram

    return Counter, Gauge, Histogram

"""What a service's Prometheus metrics become when its METRICS setting is false (INGEST_, STREAMS_).

``bench instrumentation`` measures the services with and without their instrumentation; switched off,
every counter, gauge and histogram call is this object's empty method, so no sample is kept, locked
or written to a multiprocess file.
"""

from __future__ import annotations


class NoMetric:
    """Stands in for a prometheus_client metric (and for its ``labels(...)`` children)."""

    def labels(self, *values: object, **labels: object) -> NoMetric:
        """Itself: a child of nothing is nothing."""
        return self

    def inc(self, amount: float = 1) -> None:
        """Count nothing."""

    def dec(self, amount: float = 1) -> None:
        """Count nothing."""

    def set(self, value: float) -> None:
        """Keep nothing."""

    def observe(self, amount: float) -> None:
        """Observe nothing."""


NO_METRIC = NoMetric()

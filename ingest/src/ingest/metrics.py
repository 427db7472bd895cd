"""Prometheus metrics of ingest; read as ``metrics.NAME`` so that switching them off reaches every caller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from topsongs_core.instrumentation import NO_METRIC

ACCEPTED = Counter("ingest_events_accepted_total", "Events acknowledged by Kafka and answered 202")
REJECTED = Counter("ingest_requests_rejected_total", "Requests refused, by reason", ["reason"])
PRODUCE_LATENCY = Histogram(
    "ingest_produce_seconds",
    "Time from send to Kafka acknowledgement of one request's events",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# livesum: under several workers, the sum over the processes alive.
IN_FLIGHT = Gauge("ingest_requests_in_flight", "Play requests being processed", multiprocess_mode="livesum")


def switch_off() -> None:
    """INGEST_METRICS=false: every metric call does nothing from now on in this process."""
    global ACCEPTED, REJECTED, PRODUCE_LATENCY, IN_FLIGHT
    off: Any = NO_METRIC
    ACCEPTED = REJECTED = PRODUCE_LATENCY = IN_FLIGHT = off


def exposition(multiproc_dir: Path | None) -> bytes:
    """This process's metrics, or every worker's merged when they share a multiprocess folder."""
    if multiproc_dir is None:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(multiproc_dir))
    return generate_latest(registry)

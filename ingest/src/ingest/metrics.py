"""Prometheus metrics of ingest."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

ACCEPTED = Counter("ingest_events_accepted_total", "Events acknowledged by Kafka and answered 202")
REJECTED = Counter("ingest_requests_rejected_total", "Requests refused, by reason", ["reason"])
PRODUCE_LATENCY = Histogram(
    "ingest_produce_seconds",
    "Time from send to Kafka acknowledgement of one request's events",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# livesum: under several workers, the sum over the processes alive.
IN_FLIGHT = Gauge("ingest_requests_in_flight", "Play requests being processed", multiprocess_mode="livesum")


def exposition(multiproc_dir: Path | None) -> bytes:
    """This process's metrics, or every worker's merged when they share a multiprocess folder."""
    if multiproc_dir is None:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(multiproc_dir))
    return generate_latest(registry)

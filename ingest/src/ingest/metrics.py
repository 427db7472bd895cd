"""Prometheus metrics of ingest."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ACCEPTED = Counter("ingest_events_accepted_total", "Events acknowledged by Kafka and answered 202")
REJECTED = Counter("ingest_requests_rejected_total", "Requests refused, by reason", ["reason"])
PRODUCE_LATENCY = Histogram(
    "ingest_produce_seconds",
    "Time from send to Kafka acknowledgement of one request's events",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge("ingest_requests_in_flight", "Play requests being processed")

"""Prometheus metrics of the worker; read as ``metrics.name`` so that switching off reaches every caller."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter
from topsongs_core.instrumentation import NO_METRIC

plays_counted = Counter("streams_plays_counted_total", "Plays counted into a chart", ["region"])
plays_duplicate = Counter("streams_plays_duplicate_total", "Plays dropped as duplicates", ["region"])
plays_late_dropped = Counter(
    "streams_plays_late_dropped_total", "Plays later than the allowed lateness", ["region"]
)
plays_dead_lettered = Counter(
    "streams_plays_dead_lettered_total", "Poison messages sent to the dead-letter topic", ["error"]
)
plays_rerouted = Counter("streams_plays_rerouted_total", "Plays whose Kafka key did not match REGION|song_id")
partials_published = Counter(
    "streams_chart_partials_published_total", "Chart candidate messages published", ["window"]
)
hour_finals_published = Counter(
    "streams_hour_finals_published_total", "Final (region, hour, partition) records published"
)


def switch_off() -> None:
    """STREAMS_METRICS=false: every metric call does nothing from now on in this process."""
    global plays_counted, plays_duplicate, plays_late_dropped, plays_dead_lettered, plays_rerouted
    global partials_published, hour_finals_published
    off: Any = NO_METRIC
    plays_counted = plays_duplicate = plays_late_dropped = plays_dead_lettered = plays_rerouted = off
    partials_published = hour_finals_published = off

"""The fixed allow-list of named PromQL queries behind the pipeline page, and its stages.

The browser only ever names a query; PromQL never comes from a request. Each query aggregates to
one series so a stage reads one number.
"""

from __future__ import annotations

from dataclasses import dataclass

# Freshness of the lag figures: when the monitor last measured that consumer (docs/observability.md).
_MEASURED = "time() - max(topsongs_monitor_last_success_timestamp_seconds{{consumer{sel}}})"
# The monitor's `consumer` label: the live worker's group id (a setting), or one of these roles.
_OTHERS = '"lake|dashboard-api"'

QUERIES: dict[str, str] = {
    "ingest_rate": "sum(rate(ingest_events_accepted_total[1m]))",
    "ingest_rejected_rate": "sum(rate(ingest_requests_rejected_total[1m]))",
    "kafka_rate": "sum(rate(topsongs_topic_end_offset[1m]))",
    "live_rate": "sum(rate(streams_plays_counted_total[1m]))",
    "live_lag_records": f"max(topsongs_consumer_lag_records{{consumer!~{_OTHERS}}})",
    "live_lag_seconds": f"max(topsongs_consumer_lag_seconds{{consumer!~{_OTHERS}}})",
    "live_freshness_seconds": _MEASURED.format(sel=f"!~{_OTHERS}"),
    "lake_rate": "sum(metrics_spark_driver_spark_streaming_raw_plays_processingRate_total_Number)",
    "lake_lag_records": 'max(topsongs_consumer_lag_records{consumer="lake"})',
    "lake_lag_seconds": 'max(topsongs_consumer_lag_seconds{consumer="lake"})',
    "lake_freshness_seconds": _MEASURED.format(sel='="lake"'),
    "api_lag_records": 'max(topsongs_consumer_lag_records{consumer="dashboard-api"})',
    "api_lag_seconds": 'max(topsongs_consumer_lag_seconds{consumer="dashboard-api"})',
    "api_freshness_seconds": _MEASURED.format(sel='="dashboard-api"'),
    "airflow_rate": "sum(rate(airflow_scheduler_heartbeat[1m]))",
    "postgres_rate": "sum(rate(pg_stat_database_xact_commit[1m]))",
    "dead_letter_rate": "sum(rate(streams_plays_dead_lettered_total[1m]))",
    "push_latency_p95": (
        "histogram_quantile(0.95, sum by (le) (rate(dashboard_live_push_latency_seconds_bucket[5m])))"
    ),
}

# Event-time freshness measured by the monitor (docs/observability.md): ingest, live, lake, hourly, daily.
FRESH_STAGES = ("ingest", "live", "lake", "hourly", "daily")
for _fresh in FRESH_STAGES:
    QUERIES[f"{_fresh}_newest_seconds"] = (
        f'time() - max(topsongs_freshness_newest_timestamp_seconds{{stage="{_fresh}"}})'
    )
    QUERIES[f"{_fresh}_last_success_seconds"] = (
        f'time() - max(topsongs_freshness_last_success_timestamp_seconds{{stage="{_fresh}"}})'
    )


@dataclass(frozen=True)
class Stage:
    """One box of the flow: the scrape job that tells whether it runs and its named queries."""

    id: str
    title: str
    job: str
    rate_unit: str
    rate: str | None = None
    lag_records: str | None = None
    lag_seconds: str | None = None
    freshness_seconds: str | None = None
    push_latency_seconds: str | None = None
    # Extra health condition (PromQL yielding 1 when well): e.g. PostgreSQL behind its exporter.
    healthy: str | None = None
    # The monitor's freshness stages shown on this box (FRESH_STAGES).
    fresh: tuple[str, ...] = ()


STAGES: tuple[Stage, ...] = (
    Stage("ingest", "Ingest", "ingest", "plays/s", rate="ingest_rate", fresh=("ingest",)),
    Stage("kafka", "Kafka", "kafka", "records/s", rate="kafka_rate"),
    Stage(
        "live",
        "Live charts",
        "streams",
        "plays/s",
        rate="live_rate",
        lag_records="live_lag_records",
        lag_seconds="live_lag_seconds",
        freshness_seconds="live_freshness_seconds",
        fresh=("live",),
    ),
    Stage(
        "lake",
        "Lake",
        "spark",
        "records/s",
        rate="lake_rate",
        lag_records="lake_lag_records",
        lag_seconds="lake_lag_seconds",
        freshness_seconds="lake_freshness_seconds",
        fresh=("lake",),
    ),
    Stage(
        "airflow",
        "Airflow",
        "statsd-exporter",
        "heartbeats/s",
        rate="airflow_rate",
        fresh=("hourly", "daily"),
    ),
    Stage(
        "postgres", "PostgreSQL", "postgres-exporter", "commits/s", rate="postgres_rate", healthy="min(pg_up)"
    ),
    Stage(
        "api",
        "Dashboard API",
        "dashboard-api",
        "",
        lag_records="api_lag_records",
        lag_seconds="api_lag_seconds",
        freshness_seconds="api_freshness_seconds",
        push_latency_seconds="push_latency_p95",
    ),
)


def up_query(job: str) -> str:
    """1 when every target of ``job`` answers its scrape, 0 when one does not or the job was scraped
    within the last 15 minutes and is no more (`devstack down` removes a stopped component's target),
    no series when it has not been scraped for that long (not part of this deployment)."""
    return f'min(up{{job="{job}"}}) or 0 * max(max_over_time(up{{job="{job}"}}[15m]))'

"""Grafana for Docker users, configuration only: the pipeline dashboard (made with the Apache-2.0 Grafana
foundation SDK) and the provisioning files that load it and the compose stack's Prometheus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from grafana_foundation_sdk.builders import dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from topsongs_devstack.deployment.observability import PROMETHEUS_PORT

DATASOURCE_UID = "topsongs-prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
# Where compose.yaml mounts deploy/grafana/dashboards in the Grafana container.
DASHBOARDS_IN_CONTAINER = "/var/lib/grafana/dashboards"
PIPELINE = "deploy/grafana/dashboards/pipeline.json"


@dataclass(frozen=True)
class Query:
    """One PromQL expression of a panel and the legend of its series."""

    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Chart:
    """A panel: a time series, or the latest value (stat), or a table of the current series."""

    title: str
    unit: str
    queries: tuple[Query, ...]
    kind: str = "timeseries"
    description: str = ""


# The pipeline page's questions in order: are plays flowing, where do they pile up, how fresh is each
# consumer, is anything down or firing. Metric names: docs/observability.md.
ROWS: tuple[tuple[str, tuple[Chart, ...]], ...] = (
    (
        "Flow",
        (
            Chart(
                "Plays accepted by ingest",
                "ops",
                (Query("sum(rate(ingest_events_accepted_total[1m]))", "accepted/s"),),
            ),
            Chart(
                "Requests rejected by ingest, by reason",
                "reqps",
                (Query("sum by (reason) (rate(ingest_requests_rejected_total[1m]))", "{{reason}}"),),
            ),
            Chart(
                "Plays written to Kafka, by topic",
                "ops",
                (Query("sum by (topic) (rate(topsongs_topic_end_offset[1m]))", "{{topic}}"),),
                description="The dead-letter topic's rate is the plays dead-lettered per second.",
            ),
            Chart(
                "Plays counted into live charts",
                "ops",
                (Query("sum by (region) (rate(streams_plays_counted_total[1m]))", "{{region}}"),),
            ),
            Chart(
                "POST → WebSocket: a play's way from ingest to a pushed live update",
                "s",
                tuple(
                    Query(
                        f"histogram_quantile({q}, sum by (le) "
                        "(rate(dashboard_live_push_latency_seconds_bucket[5m])))",
                        f"p{round(q * 100)}",
                    )
                    for q in (0.5, 0.95, 0.99)
                ),
                description="dashboard_live_push_latency_seconds: now − Kafka's timestamp of the newest play"
                " in each pushed update, observed once per update.",
            ),
            Chart(
                "Ingest: time to Kafka's acknowledgement (p95)",
                "s",
                (
                    Query(
                        "histogram_quantile(0.95, sum by (le) (rate(ingest_produce_seconds_bucket[5m])))",
                        "p95",
                    ),
                ),
            ),
        ),
    ),
    (
        "Lag and freshness",
        (
            Chart(
                "Consumer lag, records",
                "short",
                (Query("topsongs_consumer_lag_records", "{{consumer}} {{topic}}"),),
            ),
            Chart(
                "Consumer lag, seconds (age of the oldest unprocessed play)",
                "s",
                (Query("topsongs_consumer_lag_seconds", "{{consumer}} {{topic}}"),),
            ),
            Chart(
                "Freshness: age of each stage's newest play",
                "s",
                (Query("time() - topsongs_freshness_newest_timestamp_seconds", "{{stage}}"),),
                description="hourly, daily: since the end of the newest final chart. Old everywhere, ingest"
                " too: idle; old only downstream: stuck (FreshnessHigh).",
            ),
            Chart(
                "Since each stage last moved forward",
                "s",
                (Query("time() - topsongs_freshness_last_success_timestamp_seconds", "{{stage}}"),),
                kind="stat",
                description="hourly, daily: since the newest final chart was loaded.",
            ),
            Chart(
                "Seconds since the lag was last measured",
                "s",
                (Query("time() - topsongs_monitor_last_success_timestamp_seconds", "{{consumer}}"),),
                kind="stat",
                description="Large while the monitor cannot reach Kafka or the lake: the lag above is stale.",
            ),
        ),
    ),
    (
        "Health",
        (
            Chart("Scrape targets up", "short", (Query("up", "{{job}}"),), kind="stat"),
            Chart(
                "Firing alerts",
                "short",
                (Query('ALERTS{alertstate="firing"}'),),
                kind="table",
                description="deploy/prometheus/alerts.yml, evaluated by the stack's Prometheus.",
            ),
        ),
    ),
)


def _target(query: Query, ref_id: str, instant: bool) -> prometheus.Dataquery:
    target = (
        prometheus.Dataquery()
        .ref_id(ref_id)
        .expr(query.expr)
        .legend_format(query.legend)
        .datasource(DATASOURCE)
    )
    if instant:
        return target.instant().format(PromQueryFormat.TABLE)
    return target.range()


def _panel(chart: Chart, panel_id: int) -> timeseries.Panel | stat.Panel | table.Panel:
    panel: timeseries.Panel | stat.Panel | table.Panel
    if chart.kind == "table":
        panel = table.Panel()
    elif chart.kind == "stat":
        panel = stat.Panel()
    else:
        panel = timeseries.Panel().min(0)
    panel = panel.id(panel_id).title(chart.title).unit(chart.unit).datasource(DATASOURCE).height(8).span(8)
    if chart.description:
        panel = panel.description(chart.description)
    for ref_id, query in zip("ABCDEFGH", chart.queries, strict=False):
        panel = panel.with_target(_target(query, ref_id, chart.kind == "table"))
    return panel


def pipeline_dashboard() -> dashboard.Dashboard:
    """The pipeline overview: rates, lag in records and seconds, freshness, targets and alerts."""
    board = (
        dashboard.Dashboard("Top Songs pipeline")
        .uid("topsongs-pipeline")
        .description("Generated by `python -m topsongs_devstack.deployment grafana`; edit grafana.py there.")
        .tags(["topsongs"])
        .refresh("10s")
        .time("now-15m", "now")
        .timezone("browser")
        .readonly()
    )
    ids = iter(range(1, 100))
    for title, charts in ROWS:
        board = board.with_row(dashboard.Row(title).id(next(ids)))
        for chart in charts:
            board = board.with_panel(_panel(chart, next(ids)))
    return board


def expressions() -> Iterator[str]:
    """Every PromQL expression the dashboards run (the live-scrape test checks their metrics)."""
    for _, charts in ROWS:
        for chart in charts:
            for query in chart.queries:
                yield query.expr


def _provisioning() -> dict[str, object]:
    return {
        "deploy/grafana/provisioning/datasources/topsongs.yml": {
            "apiVersion": 1,
            "datasources": [
                {
                    "name": "Top Songs Prometheus",
                    "type": "prometheus",
                    "uid": DATASOURCE_UID,
                    "access": "proxy",
                    # the prometheus service of compose.yaml, by its name on the compose network
                    "url": f"http://prometheus:{PROMETHEUS_PORT}",
                    "isDefault": True,
                    "editable": False,
                }
            ],
        },
        "deploy/grafana/provisioning/dashboards/topsongs.yml": {
            "apiVersion": 1,
            "providers": [
                {
                    "name": "topsongs",
                    "folder": "Top Songs",
                    "type": "file",
                    "allowUiUpdates": False,
                    "options": {"path": DASHBOARDS_IN_CONTAINER},
                }
            ],
        },
    }


HEADER = (
    "# GENERATED by `python -m topsongs_devstack.deployment grafana` from\n"
    "# devstack/src/topsongs_devstack/deployment/grafana.py. Do not edit: `make test` fails while\n"
    "# they differ.\n"
)


def files() -> dict[str, str]:
    """Every file under deploy/grafana/ (repository-relative path → text)."""
    out = {path: HEADER + yaml.safe_dump(body, sort_keys=False) for path, body in _provisioning().items()}
    out[PIPELINE] = json.dumps(pipeline_dashboard().build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"
    return out

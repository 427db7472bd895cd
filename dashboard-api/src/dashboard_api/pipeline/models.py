"""Response bodies of ``GET /api/pipeline`` and ``/api/pipeline/series`` (in the OpenAPI spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Health = Literal["up", "down", "unknown"]


class Freshness(BaseModel):
    """How fresh one of the monitor's stages is: its newest play's age, and when it last moved."""

    stage: str = Field(description="ingest, live, lake, hourly or daily (docs/observability.md)")
    newest_seconds: float | None = Field(
        description="Age of the newest play the stage holds (hourly, daily: the end of the newest "
        "final chart), s; null when not measured"
    )
    last_success_seconds: float | None = Field(
        description="Since the stage last moved its newest play forward (hourly, daily: since that "
        "chart was loaded), s. Both large: idle; only newest_seconds large: stuck"
    )


class StageView(BaseModel):
    """One stage of the flow; a figure is null when Prometheus has no series for it."""

    id: str = Field(description="ingest, kafka, live, lake, airflow, postgres or api")
    title: str
    health: Health = Field(
        description="up: its scrape target answers (and its own check passes); down: it does not, or "
        "it was scraped within 15 minutes and is no more; unknown: Prometheus has not scraped such a "
        "target for 15 minutes, or Prometheus itself is down"
    )
    job: str = Field(description="The Prometheus scrape job that tells whether it runs")
    rate: float | None = Field(description="Throughput, in rate_unit")
    rate_unit: str
    lag_records: float | None = Field(description="Records not processed yet (consumers only)")
    lag_seconds: float | None = Field(description="Age of the oldest record not processed yet, s")
    freshness_seconds: float | None = Field(description="Age of the newest lag measurement, s")
    push_latency_seconds: float | None = Field(
        description="95th percentile over 5 min of a play's way from ingest's send to a pushed live "
        "update (dashboard_live_push_latency_seconds), s (the API only)"
    )
    freshness: list[Freshness] = Field(description="Event-time freshness of what this stage produces")
    series: list[str] = Field(description="Names /api/pipeline/series accepts for this stage")


class Alert(BaseModel):
    """An alerting rule pending or firing now (deploy/prometheus/alerts.yml)."""

    name: str
    state: Literal["pending", "firing"]
    severity: str | None
    summary: str | None
    active_at: datetime | None


class PrometheusState(BaseModel):
    """Whether the page's source answers."""

    status: Literal["up", "down"]
    detail: str | None = Field(description="Why it is down (null when up)")


class Pipeline(BaseModel):
    """The flow ingest → Kafka → live / lake → Airflow → PostgreSQL → API, and firing alerts."""

    prometheus: PrometheusState
    stages: list[StageView]
    alerts: list[Alert]
    as_of: datetime


class Series(BaseModel):
    """One allow-listed query over the last minutes: ``[unix seconds, value]`` pairs."""

    name: str
    step_seconds: int
    points: list[tuple[float, float]]
    prometheus: PrometheusState

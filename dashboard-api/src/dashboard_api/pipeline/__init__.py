"""The pipeline page's data: `lifespan(settings)` yielding the Prometheus-backed overview."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dashboard_api.pipeline.overview import PipelineOverview
from dashboard_api.pipeline.prometheus import PrometheusClient
from dashboard_api.settings import DashboardSettings

__all__ = ["lifespan"]


@asynccontextmanager
async def lifespan(settings: DashboardSettings) -> AsyncIterator[dict[str, object]]:
    """One HTTP client to Prometheus for the app's lifetime; nothing is read until a page asks."""
    async with PrometheusClient(settings.prometheus_url, settings.prometheus_timeout_s) as client:
        yield {"pipeline": PipelineOverview(client, settings.pipeline_cache_s)}

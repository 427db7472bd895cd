"""The history part of dashboard-api: `lifespan(settings)` yielding the read-only pool and the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from dashboard_api.history.cache import ChartCache
from dashboard_api.settings import DashboardSettings

__all__ = ["lifespan"]


@asynccontextmanager
async def lifespan(settings: DashboardSettings) -> AsyncIterator[dict[str, object]]:
    """An asyncpg pool of the read-only role and the chart cache for the app's lifetime."""
    async with asyncpg.create_pool(
        settings.postgres.dsn(reader=True),
        min_size=1,
        max_size=10,
        # The chart tables are plain and small; UTC sessions make timestamptz round-trips exact.
        server_settings={"TimeZone": "UTC", "application_name": "dashboard-api"},
    ) as pool:
        cache = ChartCache(settings.history_cache_closed_s, settings.history_cache_open_s)
        yield {"history_pool": pool, "history_cache": cache}

"""The history part of dashboard-api: `lifespan(settings)` yielding the read-only pool, the chart
cache (this process's, then Redis' when configured) and the reader that goes through both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
from prometheus_client import CollectorRegistry

from dashboard_api.history.cache import ChartCache
from dashboard_api.history.load_times import LoadTimes
from dashboard_api.history.reader import Reader
from dashboard_api.history.shared import SharedCache
from dashboard_api.settings import DashboardSettings

__all__ = ["lifespan"]


@asynccontextmanager
async def lifespan(settings: DashboardSettings) -> AsyncIterator[dict[str, object]]:
    """An asyncpg pool of the read-only role, the chart cache and the chart reader (with the load
    times that retire cached charts) for the app's lifetime."""
    async with AsyncExitStack() as stack:
        pool = await stack.enter_async_context(
            asyncpg.create_pool(
                settings.postgres.dsn(reader=True),
                # All opened at the start: a cold start's burst of misses would otherwise wait
                # for the sessions the pool would open on demand.
                min_size=settings.history_pool_size,
                max_size=settings.history_pool_size,
                # The chart tables are plain and small; UTC sessions make timestamptz round-trips exact.
                # A statement past the timeout is cancelled by the server (the read answers 503).
                server_settings={
                    "TimeZone": "UTC",
                    "application_name": "dashboard-api",
                    "statement_timeout": str(int(settings.history_statement_timeout_s * 1000)),
                },
            )
        )
        load_times = await stack.enter_async_context(LoadTimes(pool, settings.history_loads_poll_s))
        registry = CollectorRegistry()
        shared = None
        if url := settings.history_redis_url.get_secret_value():
            shared = await stack.enter_async_context(
                SharedCache(
                    url,
                    settings.history_redis_prefix,
                    settings.history_redis_timeout_s,
                    settings.history_redis_retry_s,
                    registry,
                )
            )
        cache = ChartCache(
            settings.history_cache_closed_s,
            settings.history_cache_open_s,
            shared=shared,
            shared_ttl_s=settings.history_cache_shared_s,
            registry=registry,
        )
        reader = Reader(
            pool,
            cache,
            load_times,
            acquire_timeout_s=settings.history_acquire_timeout_s,
            heavy_slots=min(settings.history_heavy_queries, settings.history_pool_size),
        )
        # Before the first request (uvicorn serves once the lifespan has started).
        await cache.warm(settings.history_cache_warm_max)
        await reader.warm(settings.contract.regions, settings.history_cache_warm_intervals)
        yield {"history_pool": pool, "history_cache": cache, "history_reader": reader}
        # Copies still on their way to Redis are stored before its connections close.
        await cache.settled()

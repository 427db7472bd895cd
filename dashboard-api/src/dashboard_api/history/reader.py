"""Chart reads: the chart cache in front of the read-only pool, copies checked against the loads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from dashboard_api.history.cache import ChartCache, Rows
from dashboard_api.history.load_times import LoadTimes, Stamp


class Reader:
    """Chart reads through the chart cache, falling back to the read-only pool."""

    def __init__(self, pool: asyncpg.Pool, cache: ChartCache, load_times: LoadTimes) -> None:
        self.pool, self.cache, self.load_times = pool, cache, load_times

    async def read(
        self,
        query: Callable[..., Awaitable[Rows]],
        end: datetime,
        *args: object,
        filled: Callable[[Rows], bool],
        stamps: Callable[[Rows], list[Stamp]],
    ) -> Rows:
        """Rows of ``query(pool, *args)`` for an interval ending at ``end``; kept for a minute once
        the interval is closed and ``filled(rows)`` (as the routes' Cache-Control tells browsers),
        and only while the loads they were read from (``stamps(rows)``) are the latest."""
        closed = end <= datetime.now(UTC)
        key = (query.__name__, *args)
        return await self.cache.read(
            key,
            closed,
            lambda: query(self.pool, *args),
            filled,
            lambda rows: self.load_times.current(stamps(rows)),
        )

"""Chart reads: the chart cache in front of the read-only pool, copies checked against the loads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg

from dashboard_api.history import queries
from dashboard_api.history.cache import ChartCache, Rows
from dashboard_api.history.load_times import LoadTimes, Stamp

log = logging.getLogger(__name__)


class HistoryBusy(Exception):
    """No PostgreSQL session (or heavy-query slot) came free in time, or a query ran past
    ``statement_timeout``: answered 503 with Retry-After, as the pool is taken by other reads."""


class Reader:
    """Chart reads through the chart cache, falling back to the read-only pool.

    A read waits at most ``acquire_timeout_s`` for a session. A heavy request (a trend: up to 366
    days of rows read, checked and serialized) runs inside ``heavy()``, one of ``heavy_slots``, so
    that however many arrive, the rest of the pool and of the event loop stays with the light ones
    (charts of one hour or day).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        cache: ChartCache,
        load_times: LoadTimes,
        acquire_timeout_s: float = 2.0,
        heavy_slots: int = 4,
    ) -> None:
        self.pool, self.cache, self.load_times = pool, cache, load_times
        self.acquire_timeout_s = acquire_timeout_s
        self._heavy = asyncio.Semaphore(heavy_slots)

    async def warm(self, regions: Sequence[str], intervals: int) -> int:
        """Keep the final charts of the ``intervals`` hours and days loaded last, in every region, as
        if they had just been read (two statements); how many. Charts already held are left alone."""
        kept = 0
        now = datetime.now(UTC)
        for kind, query, length in (
            ("hourly", queries.top_hourly, timedelta(hours=1)),
            ("daily", queries.top_daily, timedelta(days=1)),
        ):
            starts = [start for start in self.load_times.latest(kind, intervals) if start + length <= now]
            if not starts:
                continue
            try:
                async with self.pool.acquire(timeout=self.acquire_timeout_s) as session:
                    found = await queries.charts(session, kind, starts, list(regions))
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                # Only a warm-up: the reads will go to PostgreSQL as on any miss.
                log.warning("no %s charts kept at the start: %r", kind, exc)
                continue
            for (region, start), rows in found.items():
                key = _key(query, (region, start))
                if queries.charted(rows) and self.load_times.current(queries.chart_stamps(kind, start)(rows)):
                    kept += self.cache.keep(key, rows)
        return kept

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
        return await self.cache.read(
            _key(query, args),
            closed,
            lambda: self._query(query, args),
            filled,
            lambda rows: self.load_times.current(stamps(rows)),
        )

    @asynccontextmanager
    async def heavy(self) -> AsyncIterator[None]:
        """Hold one of the heavy slots, waiting ``acquire_timeout_s`` at most (else HistoryBusy)."""
        try:
            async with asyncio.timeout(self.acquire_timeout_s):
                await self._heavy.acquire()
        except TimeoutError as exc:
            raise HistoryBusy("every heavy-query slot is taken") from exc
        try:
            yield
        finally:
            self._heavy.release()

    async def _query(self, query: Callable[..., Awaitable[Rows]], args: tuple[object, ...]) -> Rows:
        """``query`` on a session of the pool (``query`` takes anything with asyncpg's ``fetch``)."""
        try:
            async with self.pool.acquire(timeout=self.acquire_timeout_s) as session:
                return await query(session, *args)
        except (TimeoutError, asyncpg.QueryCanceledError) as exc:
            raise HistoryBusy(str(exc) or type(exc).__name__) from exc


def _key(query: Callable[..., Awaitable[Rows]], args: tuple[object, ...]) -> tuple[object, ...]:
    """The cache key of ``query(pool, *args)``: its name and arguments."""
    return (query.__name__, *args)

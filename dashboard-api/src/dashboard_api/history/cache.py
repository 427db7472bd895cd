"""Recently read charts, so repeated reads of the same interval skip PostgreSQL: this process's
memory first, then the cache all processes share (Redis, when configured)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Any

from cachetools import TTLCache
from prometheus_client import CollectorRegistry, Counter

from dashboard_api.history.shared import SharedCache, chart_name

Rows = list[dict[str, Any]]


def _always(rows: Rows) -> bool:
    return True


class ChartCache:
    """Closed intervals with data are kept for ``closed_ttl_s`` here and ``shared_ttl_s`` in the
    shared cache; open or still-empty intervals only for ``open_ttl_s`` in either, so new loads
    appear almost at once. What "with data" means is the reader's ``filled`` (by default: any row);
    a cached copy is served only while the reader's ``current`` holds (its chart was not reloaded
    since). Concurrent misses of one key in this process wait for a single load, whose rows go to
    the shared cache in the background, after the readers have them (``settled`` waits). At a start,
    ``warm`` copies the shared cache's final charts into this process's memory."""

    def __init__(
        self,
        closed_ttl_s: float,
        open_ttl_s: float,
        *,
        shared: SharedCache | None = None,
        shared_ttl_s: float = 0.0,
        registry: CollectorRegistry | None = None,
        maxsize: int = 8192,
    ) -> None:
        # Keyed by ``chart_name(key)``, the shared cache's names, so that ``warm`` can fill them.
        self._closed: TTLCache[str, Rows] = TTLCache(maxsize, closed_ttl_s)
        self._open: TTLCache[str, Rows] = TTLCache(maxsize, open_ttl_s)
        self.open_ttl_s, self.shared, self.shared_ttl_s = open_ttl_s, shared, shared_ttl_s
        self._flights: dict[str, asyncio.Future[Rows]] = {}
        self._puts: set[asyncio.Task[None]] = set()  # copies on their way to the shared cache
        self.registry = registry or CollectorRegistry()
        self.reads = Counter(
            "topsongs_history_cache_reads",
            "History chart reads by where they were answered from: process, shared (Redis) or postgres",
            ["source"],
            registry=self.registry,
        )
        self.restated = Counter(
            "topsongs_history_cache_restated",
            "Cached charts passed over because their interval was loaded again since",
            registry=self.registry,
        )
        self.warmed = Counter(
            "topsongs_history_cache_warmed",
            "Final charts copied into this process's memory at its start (from Redis or PostgreSQL)",
            registry=self.registry,
        )

    async def warm(self, limit: int) -> int:
        """Copy up to ``limit`` final charts of the shared cache into this process (at a start, so
        that its first reads are not all misses); how many. Read as usual: each is served only
        while ``current`` holds."""
        if self.shared is None:
            return 0
        charts = await self.shared.finals(min(limit, int(self._closed.maxsize)))
        for name, rows in charts:
            self._closed[name] = rows
        self.warmed.inc(len(charts))
        return len(charts)

    def keep(self, key: Hashable, rows: Rows) -> bool:
        """Hold the final chart ``rows`` of ``key`` in this process unless it holds one already (a
        start's warm-up from PostgreSQL); served as any copy, only while the reader's ``current``
        holds. Whether it was kept."""
        name = chart_name(key)
        if name in self._closed:
            return False
        self._remember(name, rows, self._closed)
        self.warmed.inc()
        return True

    async def read(
        self,
        key: Hashable,
        closed: bool,
        load: Callable[[], Awaitable[Rows]],
        filled: Callable[[Rows], bool] = bool,
        current: Callable[[Rows], bool] = _always,
    ) -> Rows:
        """The cached rows for ``key``, loading and remembering them on a miss."""
        name = chart_name(key)
        for cache in (self._closed, self._open):
            rows = cache.get(name)
            if rows is not None:
                if current(rows):
                    self.reads.labels("process").inc()
                    return rows
                self.restated.inc()
        flight = self._flights.get(name)
        if flight is None:
            flight = asyncio.ensure_future(self._fill(name, closed, load, filled, current))
            self._flights[name] = flight
            flight.add_done_callback(partial(self._landed, name))
        else:
            self.reads.labels("process").inc()
        # Shielded: a client that goes away does not cancel the load the others wait for.
        return await asyncio.shield(flight)

    async def _fill(
        self,
        name: str,
        closed: bool,
        load: Callable[[], Awaitable[Rows]],
        filled: Callable[[Rows], bool],
        current: Callable[[Rows], bool],
    ) -> Rows:
        if self.shared is not None:
            rows = await self.shared.get(name)
            if rows is not None and current(rows):
                self.reads.labels("shared").inc()
                # An open chart is not kept here too: its copy would outlive ``open_ttl_s``.
                if closed and filled(rows):
                    self._remember(name, rows, self._closed)
                return rows
            if rows is not None:
                self.restated.inc()
        rows = await load()
        self.reads.labels("postgres").inc()
        final = closed and filled(rows)
        self._remember(name, rows, self._closed if final else self._open)
        if self.shared is not None:
            # In the background: the readers have their rows now, not a Redis round trip later.
            ttl_s = self.shared_ttl_s if final else self.open_ttl_s
            put = asyncio.create_task(self.shared.put(name, rows, ttl_s, final))
            self._puts.add(put)
            put.add_done_callback(self._puts.discard)
        return rows

    async def settled(self) -> None:
        """Wait until every copy this process sent to the shared cache is stored (or failed)."""
        while self._puts:
            await asyncio.gather(*self._puts)

    def _remember(self, name: str, rows: Rows, cache: TTLCache[str, Rows]) -> None:
        self._closed.pop(name, None)
        self._open.pop(name, None)
        cache[name] = rows

    def _landed(self, name: str, flight: asyncio.Future[Rows]) -> None:
        self._flights.pop(name, None)
        if not flight.cancelled():
            flight.exception()  # retrieved: the waiters got it already

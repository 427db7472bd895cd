"""Recently read charts, so repeated reads of the same interval skip PostgreSQL: this process's
memory first, then the cache all processes share (Redis, when configured)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Any

from cachetools import TTLCache
from prometheus_client import CollectorRegistry, Counter

from dashboard_api.history.shared import SharedCache

Rows = list[dict[str, Any]]


def _always(rows: Rows) -> bool:
    return True


class ChartCache:
    """Closed intervals with data are kept for ``closed_ttl_s`` here and ``shared_ttl_s`` in the
    shared cache; open or still-empty intervals only for ``open_ttl_s`` in either, so new loads
    appear almost at once. What "with data" means is the reader's ``filled`` (by default: any row);
    a cached copy is served only while the reader's ``current`` holds (its chart was not reloaded
    since). Concurrent misses of one key in this process wait for a single load."""

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
        self._closed: TTLCache[Hashable, Rows] = TTLCache(maxsize, closed_ttl_s)
        self._open: TTLCache[Hashable, Rows] = TTLCache(maxsize, open_ttl_s)
        self.open_ttl_s, self.shared, self.shared_ttl_s = open_ttl_s, shared, shared_ttl_s
        self._flights: dict[Hashable, asyncio.Future[Rows]] = {}
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

    async def read(
        self,
        key: Hashable,
        closed: bool,
        load: Callable[[], Awaitable[Rows]],
        filled: Callable[[Rows], bool] = bool,
        current: Callable[[Rows], bool] = _always,
    ) -> Rows:
        """The cached rows for ``key``, loading and remembering them on a miss."""
        for cache in (self._closed, self._open):
            rows = cache.get(key)
            if rows is not None:
                if current(rows):
                    self.reads.labels("process").inc()
                    return rows
                self.restated.inc()
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._fill(key, closed, load, filled, current))
            self._flights[key] = flight
            flight.add_done_callback(partial(self._landed, key))
        else:
            self.reads.labels("process").inc()
        # Shielded: a client that goes away does not cancel the load the others wait for.
        return await asyncio.shield(flight)

    async def _fill(
        self,
        key: Hashable,
        closed: bool,
        load: Callable[[], Awaitable[Rows]],
        filled: Callable[[Rows], bool],
        current: Callable[[Rows], bool],
    ) -> Rows:
        if self.shared is not None:
            rows = await self.shared.get(key)
            if rows is not None and current(rows):
                self.reads.labels("shared").inc()
                # An open chart is not kept here too: its copy would outlive ``open_ttl_s``.
                if closed and filled(rows):
                    self._remember(key, rows, self._closed)
                return rows
            if rows is not None:
                self.restated.inc()
        rows = await load()
        self.reads.labels("postgres").inc()
        final = closed and filled(rows)
        self._remember(key, rows, self._closed if final else self._open)
        if self.shared is not None:
            await self.shared.put(key, rows, self.shared_ttl_s if final else self.open_ttl_s)
        return rows

    def _remember(self, key: Hashable, rows: Rows, cache: TTLCache[Hashable, Rows]) -> None:
        self._closed.pop(key, None)
        self._open.pop(key, None)
        cache[key] = rows

    def _landed(self, key: Hashable, flight: asyncio.Future[Rows]) -> None:
        self._flights.pop(key, None)
        if not flight.cancelled():
            flight.exception()  # retrieved: the waiters got it already

"""When each chart interval was last loaded (`chart_loads.loaded_at`), followed by polling.

A cached chart carries the `as_of` it was read with; it is still current while that equals the
interval's `loaded_at` here. So a restatement retires every cached copy, in every process and in
Redis, within one poll, without a query per read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import asyncpg

log = logging.getLogger(__name__)

# (kind, interval_start): ("hourly", hour) or ("daily", day's midnight), as `chart_loads` keys them.
Interval = tuple[str, datetime]
# An interval and the `as_of` a cached chart was read with (None: it was not loaded then).
Stamp = tuple[Interval, datetime | None]

# `loaded_at` is `now()` of the load's transaction, i.e. when it began, and it only shows once the
# load commits: each poll re-reads this far back so a long load is not missed.
OVERLAP = timedelta(minutes=10)
# A full re-read now and then also forgets intervals that were deleted (purges, test clean-up).
FULL_EVERY_S = 300.0
_EVER = datetime(1, 1, 1, tzinfo=UTC)
_SINCE = "SELECT kind, interval_start, loaded_at FROM chart_loads WHERE loaded_at >= $1"


class LoadTimes:
    """The latest `loaded_at` of every loaded interval, re-read every ``poll_s``."""

    def __init__(self, pool: asyncpg.Pool, poll_s: float) -> None:
        self.pool, self.poll_s = pool, poll_s
        self._loaded: dict[Interval, datetime] = {}
        self._since: datetime | None = None
        self._full_at = 0.0
        self._task: asyncio.Task[None] | None = None

    def current(self, stamps: Iterable[Stamp]) -> bool:
        """True when every interval's `as_of` is still its latest load (None: still not loaded)."""
        return all(self._loaded.get(interval) == as_of for interval, as_of in stamps)

    def latest(self, kind: str, limit: int) -> list[datetime]:
        """The ``limit`` intervals of ``kind`` loaded last, newest load first."""
        loads = sorted(((at, start) for (k, start), at in self._loaded.items() if k == kind), reverse=True)
        return [start for _, start in loads[:limit]]

    async def refresh(self) -> None:
        """Read the loads since the last poll (all of them on the first and every ``FULL_EVERY_S``)."""
        full = self._since is None or time.monotonic() - self._full_at >= FULL_EVERY_S
        since = _EVER if full or self._since is None else self._since
        async with self.pool.acquire() as conn:
            now = await conn.fetchval("SELECT now()")
            rows = await conn.fetch(_SINCE, since)
        loaded = {(r["kind"], r["interval_start"]): r["loaded_at"] for r in rows}
        if full:
            self._loaded, self._full_at = loaded, time.monotonic()
        else:
            self._loaded.update(loaded)
        self._since = now - OVERLAP

    async def _follow(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.refresh()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # PostgreSQL is away: the cached charts stay as they are until it answers again.
                if not failing:
                    log.warning("cannot read chart_loads: %s", exc)
                failing = True
            else:
                if failing:
                    log.warning("chart_loads readable again")
                failing = False

    async def start(self) -> None:
        """Read every load, then follow new ones in the background."""
        await self.refresh()
        self._task = asyncio.create_task(self._follow(), name="history-load-times")

    async def stop(self) -> None:
        """Stop following."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

"""History reads under abuse, on the real PostgreSQL: a statement past its timeout and a read that
finds no session free in time are HistoryBusy (503), and heavy reads never take every session."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from dashboard_api import history
from dashboard_api.history.reader import HistoryBusy, Reader
from dashboard_api.settings import DashboardSettings
from topsongs_core.settings import PostgresSettings

PAST = datetime.now(UTC) - timedelta(days=1)


async def sleeping(session, seconds: float, key: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """A read that holds its session for ``seconds`` (``key`` keeps reads apart in the cache)."""
    return [
        dict(r) for r in await session.fetch("SELECT pg_sleep($1) AS slept, $2::int AS key", seconds, key)
    ]


def read(reader: Reader, seconds: float, key: int):  # type: ignore[no-untyped-def]
    return reader.read(sleeping, PAST, seconds, key, filled=lambda rows: False, stamps=lambda rows: [])


async def heavy_read(reader: Reader, seconds: float, key: int) -> list[dict]:
    """A read inside one of the heavy slots, as a trend runs."""
    async with reader.heavy():
        return await read(reader, seconds, key)


async def test_a_statement_past_its_timeout_is_busy(pg_settings: PostgresSettings) -> None:
    settings = DashboardSettings(postgres=pg_settings, history_pool_size=2, history_statement_timeout_s=0.3)
    async with history.lifespan(settings) as state:
        began = time.monotonic()
        with pytest.raises(HistoryBusy, match="statement timeout"):
            await read(state["history_reader"], 30, 1)
        assert time.monotonic() - began < 20
        assert await read(state["history_reader"], 0, 2)  # the session is usable again


async def test_heavy_reads_leave_sessions_for_the_others(pg_settings: PostgresSettings) -> None:
    settings = DashboardSettings(
        postgres=pg_settings, history_pool_size=3, history_heavy_queries=1, history_acquire_timeout_s=1
    )
    async with history.lifespan(settings) as state:
        reader: Reader = state["history_reader"]
        heavy = [asyncio.create_task(heavy_read(reader, 3, key)) for key in range(6)]
        await asyncio.sleep(0.5)
        # One heavy read holds one session; the light ones get the other two at once.
        light = await asyncio.gather(*(read(reader, 0, 100 + key) for key in range(4)))
        outcomes = await asyncio.gather(*heavy, return_exceptions=True)
    assert all(rows for rows in light)
    busy = [o for o in outcomes if isinstance(o, HistoryBusy)]
    assert len(busy) == 5 and sum(isinstance(o, list) for o in outcomes) == 1, outcomes

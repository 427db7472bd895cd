"""The chart cache keeps closed, filled intervals and re-reads open or empty ones, or ones reloaded
since; one load per key at a time; rows survive the shared cache's codec."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from dashboard_api.history.cache import ChartCache, Rows
from dashboard_api.history.shared import decode, encode


class Loader:
    """Counts how often the database would have been read."""

    def __init__(self, rows: Rows) -> None:
        self.rows, self.calls = rows, 0

    async def __call__(self) -> Rows:
        self.calls += 1
        return self.rows


async def test_closed_interval_with_rows_is_read_once() -> None:
    cache, load = ChartCache(closed_ttl_s=3600, open_ttl_s=0), Loader([{"rank": 1}])
    for _ in range(3):
        assert await cache.read(("hourly", "US", 1), True, load) == [{"rank": 1}]
    assert load.calls == 1


async def test_open_interval_and_empty_chart_are_read_again() -> None:
    cache = ChartCache(closed_ttl_s=3600, open_ttl_s=0)
    still_open, not_loaded_yet = Loader([{"rank": 1}]), Loader([])
    for _ in range(3):
        await cache.read(("hourly", "US", 2), False, still_open)
        await cache.read(("hourly", "US", 3), True, not_loaded_yet)
    assert still_open.calls == 3
    assert not_loaded_yet.calls == 3


async def test_concurrent_misses_of_one_key_load_once() -> None:
    cache, load = ChartCache(closed_ttl_s=3600, open_ttl_s=0), Loader([{"rank": 1}])
    reads = await asyncio.gather(*(cache.read(("hourly", "US", 4), True, load) for _ in range(20)))
    assert reads == [[{"rank": 1}]] * 20
    assert load.calls == 1


async def test_a_copy_no_longer_current_is_read_again() -> None:
    cache, load = ChartCache(closed_ttl_s=3600, open_ttl_s=3600), Loader([{"rank": 1}])
    await cache.read(("hourly", "US", 5), True, load)
    await cache.read(("hourly", "US", 5), True, load, current=lambda rows: False)
    assert load.calls == 2


def test_rows_survive_the_shared_cache_codec() -> None:
    hour = datetime(2025, 4, 23, 14, tzinfo=UTC)
    rows = [
        {"hour": hour, "plays": None, "loaded": False, "as_of": None},
        {"hour": hour + timedelta(hours=1), "plays": 3, "loaded": True, "as_of": hour + timedelta(hours=2)},
    ]
    assert decode(encode(rows, True)) == (rows, True)
    assert decode(encode(rows, False)) == (rows, False)
    assert decode(encode([], False)) == ([], False)

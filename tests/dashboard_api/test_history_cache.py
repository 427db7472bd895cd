"""The chart cache keeps closed, filled intervals and re-reads open or empty ones."""

from __future__ import annotations

from dashboard_api.history.cache import ChartCache, Rows


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

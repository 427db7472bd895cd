"""Two dashboard-api instances share cached charts through a real redis-server: the second serves
what the first read, a reload of the hour (the charts loader run again) retires both copies, and
with redis stopped or killed history still answers from PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from dashboard_api.settings import DashboardSettings
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from redis.asyncio import Redis
from topsongs_charts import migrate
from topsongs_charts.loads import delete_day, load_hourly
from topsongs_charts.rollup import top_songs
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.process import free_port
from topsongs_devstack.redis_server import RedisServer

from tests.servers import serve_dashboard

SONGS = [("s-001", "One", 9), ("s-002", "Two", 7), ("s-003", "Three", 4)]


def _load(pg: PostgresSettings, hour: datetime, late: int = 0) -> None:
    """Load one hour in US and GB through the charts loader; ``late`` extra plays of s-003 in US."""
    rows = [
        (
            region,
            song_id,
            song,
            "Artist",
            "pop",
            plays + (late if (region, song_id) == ("US", "s-003") else 0),
        )
        for region in ("US", "GB")
        for song_id, song, plays in SONGS
    ]
    names = ["region", "song_id", "song", "artist", "genre", "plays"]
    per_song = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    load_hourly(pg, hour, per_song.select(["region", "song_id", "plays"]), top_songs(per_song, 10))


@pytest.fixture
def hour(pg_settings: PostgresSettings) -> Iterator[datetime]:
    """A past hour nobody else uses (1991-1999), loaded once."""
    migrate.apply(pg_settings)
    day = date(1991, 1, 1) + timedelta(days=random.randrange(9 * 365))
    at = datetime.combine(day, time(14), UTC)
    _load(pg_settings, at)
    yield at
    delete_day(pg_settings, day)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """redis-server on a free port, started by the same code as `make up`; continued and stopped after."""
    server = RedisServer(
        "redis-test",
        "127.0.0.1",
        free_port(),
        state_dir=tmp_path / "redis",
        secrets_dir=tmp_path / "secrets",
        run_dir=tmp_path / "run",
        logs_dir=tmp_path / "logs",
        start_timeout_s=30,
        detail="test",
    )
    server.up()
    yield server
    if (pid := server.proc.pid()) is not None:
        os.kill(pid, signal.SIGCONT)
    server.down()


@pytest.fixture
def settings(
    kafka_settings: KafkaSettings, pg_settings: PostgresSettings, redis_server: RedisServer
) -> DashboardSettings:
    """Charts kept an hour everywhere: only a reload can retire them within a test. No warm-up from
    PostgreSQL (it would hold ``hour``, loaded last): these tests count where reads are answered."""
    return DashboardSettings(
        kafka=kafka_settings,
        postgres=pg_settings,
        history_redis_url=SecretStr(redis_server.url()),
        history_redis_prefix=f"test-{uuid.uuid4().hex[:8]}:",
        history_cache_closed_s=3600,
        history_cache_shared_s=3600,
        history_cache_warm_intervals=0,
        history_loads_poll_s=0.2,
    )


async def _serving(stack: AsyncExitStack, settings: DashboardSettings) -> httpx.AsyncClient:
    address = await stack.enter_async_context(
        serve_dashboard(settings.model_copy(update={"port": free_port()}))
    )
    return await stack.enter_async_context(httpx.AsyncClient(base_url=f"http://{address}"))


@pytest.fixture
async def two(settings: DashboardSettings) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two dashboard-api instances (full lifespan) sharing one redis (started after ``hour`` is
    loaded when a test asks for that first: charts loaded later count once a poll has seen them)."""
    async with AsyncExitStack() as stack:
        yield await _serving(stack, settings), await _serving(stack, settings)


async def _metrics(api: httpx.AsyncClient) -> dict[tuple[str, str], float]:
    """``/metrics`` samples of the history cache: (name, label value) → value."""
    text = (await api.get("/metrics")).text
    return {
        (s.name, next(iter(s.labels.values()), "")): s.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("topsongs_history_cache")
        for s in family.samples
        if s.name.endswith("_total")
    }


async def _stored(settings: DashboardSettings, charts: int) -> None:
    """Wait until Redis holds ``charts`` charts under the test's prefix: a read that missed copies its
    chart there in the background, after its answer."""
    redis = Redis.from_url(settings.history_redis_url.get_secret_value())
    try:
        for _ in range(100):
            if len(await redis.keys(settings.history_redis_prefix + "*")) >= charts:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{charts} charts in Redis within 5 s")
    finally:
        await redis.aclose()


def _path(region: str, hour: datetime) -> str:
    return f"/api/top/hourly?region={region}&hour={hour:%Y-%m-%dT%H:%MZ}"


async def _reread(api: httpx.AsyncClient, hour: datetime, as_of: str) -> dict:
    """US's chart of ``hour`` once its `as_of` is no longer ``as_of`` (a reload was seen), or the
    last read after 10 s."""
    for _ in range(100):
        after = (await api.get(_path("US", hour))).json()
        if after["as_of"] != as_of:
            break
        await asyncio.sleep(0.1)
    return after


async def test_second_instance_serves_the_first_ones_read_from_redis(
    hour: datetime, two: tuple[httpx.AsyncClient, httpx.AsyncClient], settings: DashboardSettings
) -> None:
    first, second = two
    read = await first.get(_path("US", hour))
    assert read.status_code == 200 and [e["song_id"] for e in read.json()["entries"]] == [
        "s-001",
        "s-002",
        "s-003",
    ]
    await _stored(settings, 1)
    again = await second.get(_path("US", hour))
    assert again.json() == read.json()
    assert (await _metrics(first))[("topsongs_history_cache_reads_total", "postgres")] == 1
    served = await _metrics(second)
    assert served[("topsongs_history_cache_reads_total", "shared")] == 1
    assert ("topsongs_history_cache_reads_total", "postgres") not in served
    redis = Redis.from_url(settings.history_redis_url.get_secret_value())
    try:
        assert len(await redis.keys(settings.history_redis_prefix + "*")) == 1
    finally:
        await redis.aclose()


async def test_a_reload_retires_the_cached_chart_everywhere(
    hour: datetime,
    two: tuple[httpx.AsyncClient, httpx.AsyncClient],
    pg_settings: PostgresSettings,
    settings: DashboardSettings,
) -> None:
    first, second = two
    before = (await first.get(_path("US", hour))).json()
    await _stored(settings, 1)
    assert (await second.get(_path("US", hour))).json() == before
    # Late plays: s-003 climbs to the top, as_of moves and the chart is restated.
    await asyncio.to_thread(_load, pg_settings, hour, 10)
    for api in (second, first):
        after = await _reread(api, hour, before["as_of"])
        assert after["as_of"] > before["as_of"]
        assert after["status"] == "restated" and after["late_plays"] == 10
        top = after["entries"][0]
        assert (top["song_id"], top["plays"]) == ("s-003", 14)
        assert (await _metrics(api))[("topsongs_history_cache_restated_total", "")] >= 1


async def test_history_answers_from_postgresql_with_redis_stopped_then_killed(
    hour: datetime, settings: DashboardSettings, redis_server: RedisServer
) -> None:
    # Redis is tried again on every read, so both charts below meet the dead redis.
    settings = settings.model_copy(update={"history_redis_retry_s": 0.0})
    async with AsyncExitStack() as stack:
        first = await _serving(stack, settings)
        expected = {region: (await first.get(_path(region, hour))).json() for region in ("US", "GB")}
        pid = redis_server.proc.pid()
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # accepts connections (the kernel does) but never answers
        second = await _serving(stack, settings)
        stopped = await second.get(_path("US", hour))
        assert stopped.status_code == 200 and stopped.json() == expected["US"]
        os.kill(pid, signal.SIGKILL)  # now refuses connections
        killed = await second.get(_path("GB", hour))
        assert killed.status_code == 200 and killed.json() == expected["GB"]
        served = await _metrics(second)
        assert served[("topsongs_history_cache_reads_total", "postgres")] == 2
        assert served[("topsongs_history_cache_errors_total", "get")] >= 2


async def test_a_new_instance_starts_with_the_final_charts_of_redis_in_memory(
    hour: datetime, settings: DashboardSettings, pg_settings: PostgresSettings
) -> None:
    async with AsyncExitStack() as stack:
        first = await _serving(stack, settings)
        expected = {region: (await first.get(_path(region, hour))).json() for region in ("US", "GB")}
        await _stored(settings, 2)
        # An open interval (a future hour) is in Redis too, but only for seconds: never copied.
        future = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
        assert (await first.get(_path("US", future))).json()["status"] == "open"
        started = await _serving(stack, settings)
        assert (await _metrics(started))[("topsongs_history_cache_warmed_total", "")] == 2
        for region in ("US", "GB"):
            assert (await started.get(_path(region, hour))).json() == expected[region]
        served = await _metrics(started)
        assert served[("topsongs_history_cache_reads_total", "process")] == 2
        assert ("topsongs_history_cache_reads_total", "shared") not in served
        assert ("topsongs_history_cache_reads_total", "postgres") not in served
        # A copied chart is checked against the loads like any other: a reload retires it.
        await asyncio.to_thread(_load, pg_settings, hour, 10)
        after = await _reread(started, hour, expected["US"]["as_of"])
        assert after["status"] == "restated" and after["entries"][0]["song_id"] == "s-003"


async def test_a_first_start_holds_the_charts_loaded_last_before_any_read(
    hour: datetime, settings: DashboardSettings, pg_settings: PostgresSettings
) -> None:
    """With an empty Redis, the hours (and days) loaded last are read from PostgreSQL at the start, in
    every region: the first reads are answered from memory, equal to a read from PostgreSQL, and a
    reload still retires them."""
    async with AsyncExitStack() as stack:
        cold = await _serving(stack, settings.model_copy(update={"history_redis_url": SecretStr("")}))
        expected = {region: (await cold.get(_path(region, hour))).json() for region in ("US", "GB")}
        assert expected["US"]["status"] == "final" and expected["US"]["entries"]
        warm = await _serving(stack, settings.model_copy(update={"history_cache_warm_intervals": 48}))
        assert (await _metrics(warm))[("topsongs_history_cache_warmed_total", "")] >= 2
        for region in ("US", "GB"):
            assert (await warm.get(_path(region, hour))).json() == expected[region]
        served = await _metrics(warm)
        assert served[("topsongs_history_cache_reads_total", "process")] == 2
        assert ("topsongs_history_cache_reads_total", "postgres") not in served
        await asyncio.to_thread(_load, pg_settings, hour, 10)
        after = await _reread(warm, hour, expected["US"]["as_of"])
        assert after["status"] == "restated" and after["entries"][0]["song_id"] == "s-003"

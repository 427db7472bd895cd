"""GET /api/reconciliation and the drift gauges: live finals from a real (private) topic, batch rows in
real PostgreSQL on a private day; agree, explained, unexplained and pending hours."""

from __future__ import annotations

import asyncio
import random
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from dashboard_api.reconciliation.drift import Reconciler
from dashboard_api.reconciliation.live_hours import LiveHours
from dashboard_api.settings import DashboardSettings
from topsongs_charts import migrate
from topsongs_charts.loads import delete_day
from topsongs_core.live import HourFinal, SongPlays, encode
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_core.timefmt import iso_z

PARTITIONS = 6
TOP = [("s-01", 30), ("s-02", 20), ("s-03", 20), ("s-04", 9), ("s-05", 8), ("s-06", 5)]
TOP += [("s-07", 4), ("s-08", 3), ("s-09", 2), ("s-10", 2), ("s-11", 1), ("s-12", 1)]


def split(songs: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Songs spread over the partitions the way song keys are (each song on exactly one)."""
    parts: list[list[tuple[str, int]]] = [[] for _ in range(PARTITIONS)]
    for i, song in enumerate(songs):
        parts[i * 5 % PARTITIONS].append(song)
    return parts


def finals(region: str, hour: datetime, songs: list[tuple[str, int]], late: list[int]) -> list[HourFinal]:
    """One worker record per partition: its plays, late drops and its top-10 candidates."""
    records = []
    for p, part in enumerate(split(songs)):
        ranked = sorted(part, key=lambda s: (-s[1], s[0]))[:10]
        records.append(
            HourFinal(
                region=region,
                hour=iso_z(hour, "seconds"),
                partition=p,
                partitions=PARTITIONS,
                plays=sum(n for _, n in part),
                late_dropped=late[p],
                top=[SongPlays(song_id=s, plays=n) for s, n in ranked],
                generated_at="2030-01-01T00:00:00.000Z",
            )
        )
    return records


def top10(songs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"song_id": s, "plays": n} for s, n in sorted(songs, key=lambda s: (-s[1], s[0]))[:10]]


NO_LATE = [0] * PARTITIONS


def plan(
    day: date,
) -> tuple[list[HourFinal], list[tuple[datetime, str, list[tuple[str, int]]]], list[datetime]]:
    """Live records, batch (hour, region, songs) and loaded hours of the private day."""
    at = [datetime.combine(day, time(h), UTC) for h in range(24)]
    live, batch = [], []
    # 00: identical.
    live += finals("US", at[0], TOP, NO_LATE)
    batch.append((at[0], "US", TOP))
    # 01: batch holds 10 more plays (of s-12, enough to enter the top 10); live dropped exactly those 10.
    live += finals("US", at[1], TOP, [0, 4, 0, 6, 0, 0])
    batch.append((at[1], "US", [*TOP[:-1], ("s-12", 11)]))
    # 02: batch is 1 play short of live and nothing was late: a bug.
    live += finals("US", at[2], TOP, NO_LATE)
    batch.append((at[2], "US", TOP[:-1]))
    # 03: loaded, but one partition's final is missing.
    live += finals("US", at[3], TOP, NO_LATE)[:-1]
    batch.append((at[3], "US", TOP))
    # 04: live final complete, batch not loaded yet.
    live += finals("US", at[4], TOP, NO_LATE)
    # 05: no plays on either side.
    live += finals("US", at[5], [], NO_LATE)
    # 06: same total, different songs, nothing late: a bug the play count alone does not show.
    live += finals("US", at[6], TOP, NO_LATE)
    batch.append((at[6], "US", [("s-01", 29), ("s-02", 21), *TOP[2:]]))
    loaded = [at[h] for h in (0, 1, 2, 3, 5, 6)]
    return live, batch, loaded


@pytest.fixture
def private_day(pg_settings: PostgresSettings) -> Iterator[date]:
    """A past day nobody else uses (1981-1989), batch rows for its US hours; removed afterwards."""
    migrate.apply(pg_settings)
    day = date(1981, 1, 1) + timedelta(days=random.randrange(9 * 365))
    _, batch, loaded = plan(day)
    with psycopg.connect(pg_settings.dsn()) as conn, conn.transaction():
        for hour, region, songs in batch:
            for song_id, plays in songs:
                conn.execute(
                    "INSERT INTO plays_hourly (region, hour, song_id, plays) VALUES (%s, %s, %s, %s)",
                    (region, hour, song_id, plays),
                )
            for rank, (song_id, plays) in enumerate(sorted(songs, key=lambda s: (-s[1], s[0]))[:10], 1):
                conn.execute(
                    'INSERT INTO top_songs_hourly (region, "timestamp", song, plays, rank, song_id, artist)'
                    " VALUES (%s, %s, %s, %s, %s, %s, 'a')",
                    (region, hour, song_id, plays, rank, song_id),
                )
        for hour in loaded:
            conn.execute(
                "INSERT INTO chart_loads (kind, interval_start, interval_end, plays, regions)"
                " VALUES ('hourly', %s, %s, 0, 1)",
                (hour, hour + timedelta(hours=1)),
            )
    yield day
    delete_day(pg_settings, day)


@pytest.fixture
async def published(kafka_settings: KafkaSettings, private_day: date) -> date:
    """The day's live finals on the private live-hours topic; the 01:00 ones first with fewer late drops."""
    live, _, _ = plan(private_day)
    stale = [
        r.model_copy(update={"late_dropped": r.late_dropped // 2})
        for r in live
        if r.hour.endswith("T01:00:00Z")
    ]
    async with AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers) as producer:
        for record in [*stale, *live]:  # the newer record of a key replaces the older one
            key = f"{record.region}|{record.hour}|{record.partition}".encode()
            await producer.send_and_wait(kafka_settings.live_hours_topic, encode(record), key=key)
    return private_day


async def reconciled(api: httpx.AsyncClient, region: str, day: date) -> dict[str, Any]:
    """The day's answer once the app has read the live-hours topic to the end offsets it found at
    its start (no hour is final before that; bounded wait)."""
    deadline = clock.monotonic() + 30
    while True:
        response = await api.get("/api/reconciliation", params={"region": region, "date": str(day)})
        assert response.status_code == 200, response.text
        body = response.json()
        if body["hours"][0]["status"] != "pending" or clock.monotonic() > deadline:
            return body
        await asyncio.sleep(0.2)


async def test_each_hour_is_agree_explained_unexplained_or_pending(
    published: date, api: httpx.AsyncClient
) -> None:
    # The app starts after the finals are in the topic, so it reads all of them before its first
    # final hour (an app already following the topic may answer between two of them).
    body = await reconciled(api, "US", published)
    hours = body["hours"]
    assert [h["hour"] for h in hours] == [f"{published}T{h:02d}:00:00Z" for h in range(24)]
    assert [h["status"] for h in hours[:8]] == [
        "agree",
        "explained",
        "unexplained",
        "pending",
        "pending",
        "agree",
        "unexplained",
        "pending",
    ]
    assert all(h["status"] == "pending" for h in hours[7:])
    total = sum(n for _, n in TOP)
    assert hours[0] == {
        "hour": f"{published}T00:00:00Z",
        "status": "agree",
        "live_plays": total,
        "batch_plays": total,
        "difference": 0,
        "late_dropped": 0,
        "unexplained": 0,
        "live_top": top10(TOP),
        "batch_top": top10(TOP),
    }
    explained = hours[1]
    assert (explained["live_plays"], explained["batch_plays"]) == (total, total + 10)
    assert (explained["difference"], explained["late_dropped"], explained["unexplained"]) == (10, 10, 0)
    assert {"song_id": "s-12", "plays": 11} in explained["batch_top"]
    assert explained["live_top"] == top10(TOP)
    bug = hours[2]
    assert (bug["difference"], bug["late_dropped"], bug["unexplained"]) == (-1, 0, -1)
    assert hours[3]["live_plays"] is None and hours[3]["batch_plays"] == total
    assert hours[3]["difference"] is None and hours[3]["live_top"] == []
    assert hours[4]["live_plays"] == total and hours[4]["batch_plays"] is None
    assert (hours[5]["live_plays"], hours[5]["batch_plays"], hours[5]["batch_top"]) == (0, 0, [])
    assert (hours[6]["difference"], hours[6]["unexplained"]) == (0, 0)
    assert hours[6]["live_top"] != hours[6]["batch_top"]
    assert body["unexplained"] == 1
    assert body["region"] == "US" and body["date"] == str(published)

    other = await api.get("/api/reconciliation", params={"region": "GB", "date": str(published)})
    # GB had no live finals: loaded hours stay pending, nothing is unexplained.
    assert other.json()["unexplained"] == 0
    assert {h["status"] for h in other.json()["hours"]} == {"pending"}
    assert {h["batch_plays"] for h in other.json()["hours"] if h["batch_plays"] is not None} == {0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": "XX", "date": "2031-01-01"}, "region"),
        ({"date": "2031-01-01"}, "region"),
        ({"region": "US", "date": "2031-02-30"}, "date"),
        ({"region": "US", "date": "today"}, "date"),
        ({"region": "US"}, "date"),
    ],
)
async def test_bad_parameters_answer_422_naming_the_field(
    api: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await api.get("/api/reconciliation", params=params)
    assert response.status_code == 422, response.text
    assert ["query", field] in [e["loc"] for e in response.json()["detail"]]


def gauge(reconciler: Reconciler, what: str, region: str) -> float | None:
    return reconciler.registry.get_sample_value(
        f"topsongs_reconciliation_unexplained_{what}", {"region": region}
    )


async def test_drift_gauges_count_unexplained_plays_and_hours(
    kafka_settings: KafkaSettings, pg_settings: PostgresSettings, published: date, api: httpx.AsyncClient
) -> None:
    settings = DashboardSettings(kafka=kafka_settings, postgres=pg_settings, reconciliation_window_hours=48)
    async with (
        asyncpg.create_pool(pg_settings.dsn(reader=True), server_settings={"TimeZone": "UTC"}) as pool,
        LiveHours(settings) as live,
    ):
        await asyncio.wait_for(live.caught_up.wait(), 30)
        reconciler = Reconciler(settings, pool, live)
        await reconciler.refresh_drift(datetime.combine(published, time(7, 30), UTC))
        assert gauge(reconciler, "plays", "US") == 1
        assert gauge(reconciler, "hours", "US") == 2
        assert gauge(reconciler, "plays", "GB") == 0
        # Hours 02 and 06 fall out of a window that starts at 07:00.
        reconciler.settings = settings.model_copy(update={"reconciliation_window_hours": 1})
        await reconciler.refresh_drift(datetime.combine(published, time(8), UTC))
        assert gauge(reconciler, "hours", "US") == 0
    metrics = (await api.get("/metrics")).text
    assert 'topsongs_reconciliation_unexplained_plays{region="US"}' in metrics
    assert "topsongs_reconciliation_unexplained_hours" in metrics

"""REST history against real PostgreSQL: each endpoint, empty results, bad parameters, cache headers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import httpx
import psycopg
import pytest
from dashboard_api.settings import DashboardSettings
from psycopg.types.json import Jsonb
from topsongs_charts import migrate
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.process import free_port

from tests.servers import serve_dashboard

LOADED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def chart_day(pg_settings: PostgresSettings) -> Iterator[date]:
    """A past day nobody else uses (1971-1979, so its intervals are closed) with chart rows in US."""
    migrate.apply(pg_settings)
    day = date(1971, 1, 1) + timedelta(days=random.randrange(9 * 365))
    hour = datetime.combine(day, time(14), UTC)
    songs = [("s-002", "Two", "B", 9), ("s-001", "One", "A", 9), ("s-003", "Three", "C", 4)]
    with psycopg.connect(pg_settings.dsn()) as conn, conn.transaction():
        for rank, (song_id, song, artist, plays) in enumerate(sorted(songs, key=lambda s: (-s[3], s[0])), 1):
            conn.execute(
                'INSERT INTO top_songs_hourly (region, "timestamp", song, plays, rank, song_id, artist)'
                " VALUES ('US', %s, %s, %s, %s, %s, %s)",
                (hour, song, plays, rank, song_id, artist),
            )
            conn.execute(
                "INSERT INTO top_songs_daily (region, date, song, plays, rank, song_id, artist)"
                " VALUES ('US', %s, %s, %s, %s, %s, %s)",
                (day, song, plays * 2, rank, song_id, artist),
            )
        for h, plays in ((14, 9), (16, 3)):
            conn.execute(
                "INSERT INTO plays_hourly (region, hour, song_id, plays) VALUES ('US', %s, 's-001', %s)",
                (datetime.combine(day, time(h), UTC), plays),
            )
        # Hours 13, 14 and 16 and the day are loaded: 14 was restated once with 2 late plays in US;
        # hour 15 was never loaded (pending).
        for kind, start, by_region in (
            ("hourly", time(13), {}),
            ("hourly", time(14), {"US": (22, 20, 1), "GB": (5, 5, 0)}),
            ("hourly", time(16), {"US": (3, 3, 0)}),
            ("daily", time(0), {"US": (44, 44, 0)}),
        ):
            status = {
                r: {"plays": p, "first_plays": f, "restatements": n} for r, (p, f, n) in by_region.items()
            }
            at = datetime.combine(day, start, UTC)
            conn.execute(
                "INSERT INTO chart_loads (kind, interval_start, interval_end, plays, regions, by_region,"
                " loaded_at) VALUES (%s, %s, %s, 0, 0, %s, %s)",
                (kind, at, at + timedelta(hours=1 if kind == "hourly" else 24), Jsonb(status), LOADED_AT),
            )
    yield day
    with psycopg.connect(pg_settings.dsn()) as conn:
        start = datetime.combine(day, time(), UTC)
        end = start + timedelta(days=1)
        conn.execute(
            'DELETE FROM top_songs_hourly WHERE "timestamp" >= %s AND "timestamp" < %s', (start, end)
        )
        conn.execute("DELETE FROM plays_hourly WHERE hour >= %s AND hour < %s", (start, end))
        conn.execute("DELETE FROM top_songs_daily WHERE date = %s", (day,))
        conn.execute(
            "DELETE FROM chart_loads WHERE interval_start >= %s AND interval_start < %s", (start, end)
        )


async def test_regions(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/regions")
    assert response.status_code == 200
    assert response.json()["regions"][:2] == ["US", "GB"]


async def test_top_hourly(api: httpx.AsyncClient, chart_day: date) -> None:
    response = await api.get("/api/top/hourly", params={"region": "US", "hour": f"{chart_day}T14:00Z"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.json() == {
        "region": "US",
        "hour": f"{chart_day}T14:00:00Z",
        "entries": [
            {"rank": 1, "song_id": "s-001", "title": "One", "artist": "A", "plays": 9},
            {"rank": 2, "song_id": "s-002", "title": "Two", "artist": "B", "plays": 9},
            {"rank": 3, "song_id": "s-003", "title": "Three", "artist": "C", "plays": 4},
        ],
        "status": "restated",
        "as_of": LOADED_AT.isoformat().replace("+00:00", "Z"),
        "restatements": 1,
        "late_plays": 2,
    }
    gb = (await api.get("/api/top/hourly", params={"region": "GB", "hour": f"{chart_day}T14:00Z"})).json()
    assert (gb["status"], gb["restatements"], gb["late_plays"]) == ("final", 0, 0)
    pending = await api.get("/api/top/hourly", params={"region": "US", "hour": f"{chart_day}T15:00Z"})
    assert (pending.json()["status"], pending.json()["as_of"]) == ("pending", None)
    assert pending.headers["cache-control"] == "no-cache"
    offset = await api.get("/api/top/hourly", params={"region": "US", "hour": f"{chart_day}T16:00+02:00"})
    assert offset.json()["hour"] == f"{chart_day}T14:00:00Z"
    assert len(offset.json()["entries"]) == 3


async def test_top_daily_and_empty_results(api: httpx.AsyncClient, chart_day: date) -> None:
    response = await api.get("/api/top/daily", params={"region": "US", "date": str(chart_day)})
    assert response.status_code == 200
    body = response.json()
    assert (body["region"], body["date"]) == ("US", str(chart_day))
    assert [(e["rank"], e["song_id"], e["plays"]) for e in body["entries"]] == [
        (1, "s-001", 18),
        (2, "s-002", 18),
        (3, "s-003", 8),
    ]
    assert (body["status"], body["late_plays"]) == ("final", 0)
    empty = await api.get("/api/top/daily", params={"region": "GB", "date": str(chart_day)})
    assert empty.status_code == 200 and empty.json()["entries"] == []
    assert empty.json()["status"] == "final"  # loaded: GB had no plays that day
    unloaded = await api.get("/api/top/daily", params={"region": "US", "date": str(chart_day + timedelta(1))})
    assert unloaded.json()["status"] == "pending" and unloaded.headers["cache-control"] == "no-cache"
    now = datetime.now(UTC)
    current = await api.get("/api/top/hourly", params={"region": "US", "hour": f"{now:%Y-%m-%dT%H}:00Z"})
    assert current.status_code == 200 and current.headers["cache-control"] == "no-cache"
    assert current.json()["status"] == "open"


async def test_trend_has_a_point_per_hour(api: httpx.AsyncClient, chart_day: date) -> None:
    params = {"region": "US", "song_id": "s-001", "from": f"{chart_day}T13:00Z", "to": f"{chart_day}T17:00Z"}
    response = await api.get("/api/trend", params=params)
    assert response.status_code == 200
    assert response.json() == {
        "region": "US",
        "song_id": "s-001",
        "points": [
            {"hour": f"{chart_day}T{h}:00:00Z", "plays": p, "status": s}
            for h, p, s in ((13, 0, "final"), (14, 9, "restated"), (15, None, "pending"), (16, 3, "final"))
        ],
    }
    assert response.headers["cache-control"] == "no-cache"  # hour 15 may still be computed
    loaded = {**params, "from": f"{chart_day}T13:00Z", "to": f"{chart_day}T15:00Z"}
    assert (await api.get("/api/trend", params=loaded)).headers["cache-control"] == "public, max-age=60"


async def test_a_chart_or_trend_filled_later_shows_at_the_next_read(
    kafka_settings: KafkaSettings, chart_day: date, pg_settings: PostgresSettings
) -> None:
    """Hour 13 was loaded without plays and hour 15 is pending: neither is kept as long as a filled
    chart is (here an hour; still-empty ones not at all), so the restatement that fills them (as a
    backfill's does) shows at the next read."""
    settings = DashboardSettings(
        port=free_port(),
        kafka=kafka_settings,
        postgres=pg_settings,
        history_cache_closed_s=3600,
        history_cache_open_s=0,
    )
    async with serve_dashboard(settings) as address, httpx.AsyncClient(base_url=f"http://{address}") as api:
        await _filled_later(api, chart_day, pg_settings)


async def _filled_later(api: httpx.AsyncClient, chart_day: date, pg_settings: PostgresSettings) -> None:
    hourly = {"region": "US", "hour": f"{chart_day}T13:00Z"}
    trend = {"region": "US", "song_id": "s-001", "from": f"{chart_day}T13:00Z", "to": f"{chart_day}T16:00Z"}
    empty = await api.get("/api/top/hourly", params=hourly)
    assert (empty.json()["status"], empty.json()["entries"]) == ("final", [])
    assert empty.headers["cache-control"] == "no-cache"
    pending = await api.get("/api/trend", params=trend)
    assert [p["plays"] for p in pending.json()["points"]] == [0, 9, None]
    with psycopg.connect(pg_settings.dsn()) as conn, conn.transaction():
        for h in (13, 15):
            at = datetime.combine(chart_day, time(h), UTC)
            conn.execute(
                'INSERT INTO top_songs_hourly (region, "timestamp", song, plays, rank, song_id, artist)'
                " VALUES ('US', %s, 'One', 5, 1, 's-001', 'A')",
                (at,),
            )
            conn.execute(
                "INSERT INTO plays_hourly (region, hour, song_id, plays) VALUES ('US', %s, 's-001', 5)", (at,)
            )
        at = datetime.combine(chart_day, time(15), UTC)
        conn.execute(
            "INSERT INTO chart_loads (kind, interval_start, interval_end, plays, regions, by_region,"
            " loaded_at) VALUES ('hourly', %s, %s, 5, 1, %s, %s)",
            (at, at + timedelta(hours=1), Jsonb({"US": {"plays": 5, "first_plays": 5}}), LOADED_AT),
        )
    filled = await api.get("/api/top/hourly", params=hourly)
    assert [(e["song_id"], e["plays"]) for e in filled.json()["entries"]] == [("s-001", 5)]
    assert filled.headers["cache-control"] == "public, max-age=60"
    computed = await api.get("/api/trend", params=trend)
    assert [p["plays"] for p in computed.json()["points"]] == [5, 9, 5]
    assert computed.headers["cache-control"] == "public, max-age=60"


async def test_the_day_so_far_is_shown_open_then_pending_until_complete(
    api: httpx.AsyncClient, pg_settings: PostgresSettings
) -> None:
    """A daily load of the hours so far (not complete) is served with its entries: `open` while the day
    runs (a day of 2150-2199 here, so it has not ended), `pending` once it ended, never cached long."""
    migrate.apply(pg_settings)
    future = date(2150, 1, 1) + timedelta(days=random.randrange(49 * 365))
    past = date(1980, 1, 1) + timedelta(days=random.randrange(9 * 365))
    with psycopg.connect(pg_settings.dsn()) as conn, conn.transaction():
        for day in (future, past):
            at = datetime.combine(day, time(), UTC)
            conn.execute(
                "INSERT INTO top_songs_daily (region, date, song, plays, rank, song_id, artist)"
                " VALUES ('US', %s, 'One', 7, 1, 's-001', 'A')",
                (day,),
            )
            conn.execute(
                "INSERT INTO chart_loads (kind, interval_start, interval_end, plays, regions, by_region,"
                " loaded_at, complete) VALUES ('daily', %s, %s, 7, 1, %s, %s, false)",
                (at, at + timedelta(days=1), Jsonb({"US": {"plays": 7, "first_plays": 7}}), LOADED_AT),
            )
    try:
        for day, status in ((future, "open"), (past, "pending")):
            response = await api.get("/api/top/daily", params={"region": "US", "date": str(day)})
            body = response.json()
            assert (body["status"], body["as_of"], body["restatements"]) == (
                status,
                "2026-01-02T03:04:05Z",
                0,
            )
            assert [(e["song_id"], e["plays"]) for e in body["entries"]] == [("s-001", 7)]
            assert response.headers["cache-control"] == "no-cache"
    finally:
        with psycopg.connect(pg_settings.dsn()) as conn:
            for day in (future, past):
                conn.execute("DELETE FROM top_songs_daily WHERE date = %s", (day,))
                conn.execute(
                    "DELETE FROM chart_loads WHERE kind = 'daily' AND interval_start = %s",
                    (datetime.combine(day, time(), UTC),),
                )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/top/hourly", {"region": "XX", "hour": "2031-01-01T14:00Z"}, "region"),
        ("/api/top/hourly", {"region": "us", "hour": "2031-01-01T14:00Z"}, "region"),
        ("/api/top/hourly", {"hour": "2031-01-01T14:00Z"}, "region"),
        ("/api/top/hourly", {"region": "US", "hour": "2031-01-01T14:30Z"}, "hour"),
        ("/api/top/hourly", {"region": "US", "hour": "yesterday"}, "hour"),
        ("/api/top/daily", {"region": "US", "date": "2031-02-30"}, "date"),
        ("/api/top/daily", {"region": "US"}, "date"),
        (
            "/api/trend",
            {"region": "US", "song_id": "s", "from": "2031-01-02T00:00Z", "to": "2031-01-01T00:00Z"},
            "to",
        ),
        (
            "/api/trend",
            {"region": "US", "song_id": "s", "from": "2030-01-01T00:00Z", "to": "2032-01-01T00:00Z"},
            "to",
        ),
        ("/api/trend", {"region": "US", "song_id": "s", "from": "soon", "to": "2031-01-01T00:00Z"}, "from"),
        (
            "/api/trend",
            {"region": "US", "song_id": "", "from": "2031-01-01T00:00Z", "to": "2031-01-02T00:00Z"},
            "song_id",
        ),
    ],
)
async def test_bad_parameters_answer_422_naming_the_field(
    api: httpx.AsyncClient, path: str, params: dict[str, str], field: str
) -> None:
    response = await api.get(path, params=params)
    assert response.status_code == 422, response.text
    assert ["query", field] in [e["loc"] for e in response.json()["detail"]]


async def test_openapi_documents_the_history_endpoints(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in ("/api/regions", "/api/top/hourly", "/api/top/daily", "/api/trend"):
        assert "get" in paths[path]
    names = {p["name"] for p in paths["/api/trend"]["get"]["parameters"]}
    assert names == {"region", "song_id", "from", "to"}

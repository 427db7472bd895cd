"""Raw files written as Spark's sink adds them, the brute-force charts of what was written (each
event_id once), and what the chart tables of a day hold: the restatement and concurrency tests."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from topsongs_charts.lake import Lake
from topsongs_charts.restate import reload_days, restate_hour, stale_hours
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import partition

REGIONS = ["US", "GB", "BR"]


def at(day: date, hour: int, minutes: int = 0) -> datetime:
    """The UTC instant ``hour:minutes`` of ``day``."""
    return datetime.combine(day, time(), UTC) + timedelta(hours=hour, minutes=minutes)


def write_files(lake: Lake, settings: ChartsSettings, plays: pa.Table, name: str) -> None:
    """One file per (region, hour) under ``name``, as a Spark trigger adds one."""
    hours = pc.floor_temporal(plays["played_at"], unit="hour")
    for hour in sorted(set(hours.to_pylist())):
        in_hour = plays.filter(pc.equal(hours, pa.scalar(hour, hours.type)))
        for region in sorted(set(in_hour["region"].to_pylist())):
            rows = in_hour.filter(pc.equal(in_hour["region"], region)).drop_columns(["region"])
            key = f"{settings.lake.plays_path}/{partition(region, hour.date(), hour.hour)}/{name}.parquet"
            lake.write_parquet(key, rows)


def oracle(sent: list[pa.Table], day: date) -> dict[str, object]:
    """Brute force over every row written, each event_id once."""
    rows = {r["event_id"]: r for t in sent for r in t.to_pylist()}
    hourly: Counter[tuple[str, datetime, str]] = Counter()
    for r in rows.values():
        if r["played_at"].date() == day:
            hourly[r["region"], r["played_at"].replace(minute=0, second=0, microsecond=0), r["song_id"]] += 1
    daily: Counter[tuple[str, str]] = Counter()
    for (region, _, song), n in hourly.items():
        daily[region, song] += n
    top = {
        region: sorted(
            ((s, n) for (r, s), n in daily.items() if r == region), key=lambda kv: (-kv[1], kv[0])
        )[:10]
        for region in REGIONS
    }
    return {"plays": sorted((r, h, s, n) for (r, h, s), n in hourly.items()), "daily": top}


def tables(settings: ChartsSettings, day: date) -> dict[str, object]:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        plays = conn.execute(
            "SELECT region, hour, song_id, plays FROM plays_hourly"
            " WHERE hour >= %s AND hour < %s ORDER BY 1, 2, 3",
            (at(day, 0), at(day, 24)),
        ).fetchall()
        daily = {
            region: [
                tuple(r)
                for r in conn.execute(
                    "SELECT song_id, plays FROM top_songs_daily WHERE date = %s AND region = %s"
                    " ORDER BY rank",
                    (day, region),
                ).fetchall()
            ]
            for region in REGIONS
        }
        hourly_tops = conn.execute(
            'SELECT region, "timestamp", rank, song_id, plays FROM top_songs_hourly'
            ' WHERE "timestamp" >= %s AND "timestamp" < %s ORDER BY 1, 2, 3',
            (at(day, 0), at(day, 24)),
        ).fetchall()
    return {"plays": plays, "daily": daily, "hourly_tops": hourly_tops}


def restate_all(settings: ChartsSettings, now: datetime) -> list[datetime]:
    """What the restatement DAG does, run after run, until nothing is stale."""
    done: list[datetime] = []
    for _ in range(10):
        hours = stale_hours(settings, now)
        if not hours:
            return done
        assert hours == sorted(hours) and len(hours) <= settings.restate_batch_hours
        for hour in hours:
            restate_hour(settings, hour)
        reload_days(settings, hours, now)
        done += hours
    raise AssertionError("restatement did not converge")

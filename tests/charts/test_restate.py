"""Restatement against the real S3 store and PostgreSQL: hours that gain files are found and re-run,
late plays reach their hour's and day's charts, duplicates are counted once, reruns change nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from topsongs_charts import synthetic
from topsongs_charts.lake import Lake
from topsongs_charts.restate import complete_day, reload_days, restate_hour, stale_hours
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import partition

REGIONS = ["US", "GB", "BR"]
HOUR = timedelta(hours=1)


def _at(day: date, hour: int, minutes: int = 0) -> datetime:
    return datetime.combine(day, time(), UTC) + timedelta(hours=hour, minutes=minutes)


def _write(lake: Lake, settings: ChartsSettings, plays: pa.Table, name: str) -> None:
    """One file per (region, hour) under ``name``, as a Spark trigger adds one."""
    hours = pc.floor_temporal(plays["played_at"], unit="hour")
    for hour in sorted(set(hours.to_pylist())):
        in_hour = plays.filter(pc.equal(hours, pa.scalar(hour, hours.type)))
        for region in sorted(set(in_hour["region"].to_pylist())):
            rows = in_hour.filter(pc.equal(in_hour["region"], region)).drop_columns(["region"])
            key = f"{settings.lake.plays_path}/{partition(region, hour.date(), hour.hour)}/{name}.parquet"
            lake.write_parquet(key, rows)


def _oracle(sent: list[pa.Table], day: date) -> dict[str, object]:
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


def _tables(settings: ChartsSettings, day: date) -> dict[str, object]:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        plays = conn.execute(
            "SELECT region, hour, song_id, plays FROM plays_hourly"
            " WHERE hour >= %s AND hour < %s ORDER BY 1, 2, 3",
            (_at(day, 0), _at(day, 24)),
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
            (_at(day, 0), _at(day, 24)),
        ).fetchall()
    return {"plays": plays, "daily": daily, "hourly_tops": hourly_tops}


def _status(settings: ChartsSettings, kind: str, start: datetime) -> dict[str, dict[str, int]]:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        row = conn.execute(
            "SELECT by_region FROM chart_loads WHERE kind = %s AND interval_start = %s", (kind, start)
        ).fetchone()
    assert row is not None, f"no {kind} load of {start}"
    return row[0]


def _restate_all(settings: ChartsSettings, now: datetime) -> list[datetime]:
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


def test_late_plays_and_duplicates_are_restated_into_hour_and_day(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    settings = charts_settings.model_copy(update={"restate_batch_hours": 10})
    day, next_day = test_day, test_day + timedelta(days=1)
    lake.write_parquet(settings.catalog_key, synthetic.catalog(50))
    sent = [
        synthetic.plays(_at(day, h), REGIONS, 12 + h % 5, 50, seed=h)
        for h in range(24)
        if h != 4  # an hour without plays still gets its (empty) chart
    ] + [synthetic.plays(_at(next_day, h), REGIONS, 15, 50, seed=100 + h) for h in range(5)]
    for number, table in enumerate(sent):
        _write(lake, settings, table, f"part-first-{number}")

    # Nothing was ever processed: every closed, settled hour is stale, and found in bounded batches.
    now = _at(next_day, 5, 30)
    assert stale_hours(settings, now)[:2] == [_at(day, 0), _at(day, 1)]
    processed = _restate_all(settings, now)
    # The first batch is the 10 oldest hours; reloading their (settled) day processed the rest of it.
    assert processed == [_at(day, h) for h in range(11) if h != 4] + [_at(next_day, h) for h in range(5)]
    tables, expected = _tables(settings, day), _oracle(sent, day)
    assert (tables["plays"], tables["daily"]) == (expected["plays"], expected["daily"])
    assert _status(settings, "hourly", _at(day, 4)) == {}
    assert all(s["restatements"] == 0 for s in _status(settings, "daily", _at(day, 0)).values())

    # Late plays 2 days and 3 hours old, each file with ids the charts already counted.
    now = _at(next_day + timedelta(days=1), 6, 30)
    two_days, three_hours = _at(day, 6), _at(next_day + timedelta(days=1), 3)
    late = [
        synthetic.plays(two_days, REGIONS, 7, 50, seed=900),
        synthetic.plays(three_hours, REGIONS, 4, 50, seed=901),
    ]
    first_of_hour6 = next(
        t for t in sent if t["played_at"][0].as_py().date() == day and t["played_at"][0].as_py().hour == 6
    )
    duplicates = [first_of_hour6.slice(0, 5), sent[-1].slice(0, 5)]
    for number, table in enumerate(late + duplicates):
        _write(lake, settings, table, f"part-late-{number}")
    assert stale_hours(settings, now) == [two_days, _at(next_day, 4), three_hours]
    _restate_all(settings, now)

    before, expected = _tables(settings, day), _oracle(sent + late + duplicates, day)
    assert (before["plays"], before["daily"]) == (expected["plays"], expected["daily"])
    hour_status = _status(settings, "hourly", two_days)
    assert {r: (s["restatements"], s["plays"] - s["first_plays"]) for r, s in hour_status.items()} == {
        r: (1, 7) for r in REGIONS
    }
    day_status = _status(settings, "daily", _at(day, 0))
    assert {r: s["plays"] - s["first_plays"] for r, s in day_status.items()} == {r: 7 for r in REGIONS}
    # Duplicates alone (hour 4 of the next day) change nothing: no restatement counted.
    assert all(s["restatements"] == 0 for s in _status(settings, "hourly", _at(next_day, 4)).values())

    # Nothing is stale any more; running the restatement again leaves identical tables and counts.
    assert stale_hours(settings, now) == []
    restate_hour(settings, two_days)
    complete_day(settings, day)
    assert _tables(settings, day) == before
    assert _status(settings, "hourly", two_days) == hour_status

"""Hourly and daily chart loads against real PostgreSQL: a 24-hour backfill, reruns, checks."""

from __future__ import annotations

from collections import Counter
from datetime import date

import psycopg
import pyarrow.compute as pc
import pytest
from topsongs_charts import synthetic
from topsongs_charts.charts import NotReady, run_daily_charts, run_hourly_charts, update_day
from topsongs_charts.etl import marker_key, run_hourly_etl
from topsongs_charts.intervals import day_hours
from topsongs_charts.lake import Lake
from topsongs_charts.quality import DataQualityError
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import partition

REGIONS = ["US", "GB", "BR"]


def _tables(settings: ChartsSettings, day: date) -> dict[str, list[tuple]]:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        window = "BETWEEN %s::date AND %s::date + interval '23 hours'"
        return {
            "hourly": conn.execute(
                'SELECT region, "timestamp", rank, song_id, song, artist, plays FROM top_songs_hourly'
                f' WHERE "timestamp" {window} ORDER BY 1, 2, 3',
                (day, day),
            ).fetchall(),
            "plays": conn.execute(
                f"SELECT region, hour, song_id, plays FROM plays_hourly WHERE hour {window} ORDER BY 1, 2, 3",
                (day, day),
            ).fetchall(),
            "daily": conn.execute(
                "SELECT region, date, rank, song_id, song, artist, plays FROM top_songs_daily"
                " WHERE date = %s ORDER BY 1, 2, 3",
                (day,),
            ).fetchall(),
        }


def _oracle_top(song_ids_by_region: dict[str, list[str]], n: int) -> dict[str, list[tuple[str, int]]]:
    """Brute force: count, then order by plays desc, song_id asc."""
    return {
        region: sorted(Counter(ids).items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        for region, ids in song_ids_by_region.items()
    }


def test_backfill_of_a_day_adds_up_and_reruns_change_nothing(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(60))
    ids: dict[str, list[str]] = {r: [] for r in REGIONS}
    for number, hour in enumerate(day_hours(test_day)):
        plays = synthetic.plays(hour, REGIONS, per_region=40 + number, songs=60, seed=number)
        synthetic.write_raw(lake, charts_settings.lake.plays_path, plays)
        for region, song_id in zip(plays["region"].to_pylist(), plays["song_id"].to_pylist(), strict=True):
            ids[region].append(song_id)
    enriched_rows = 0
    for hour in day_hours(test_day):
        enriched_rows += run_hourly_etl(charts_settings, hour)["rows_out"]
        run_hourly_charts(charts_settings, hour)
    daily = run_daily_charts(charts_settings, test_day)

    tables = _tables(charts_settings, test_day)
    assert enriched_rows == sum(41 + n for n in range(-1, 23)) * len(REGIONS)
    assert sum(r[3] for r in tables["plays"]) == enriched_rows == sum(daily["plays"].values())
    assert daily["plays"] == {r: len(v) for r, v in ids.items()}
    oracle = _oracle_top(ids, charts_settings.top_n)
    for region in REGIONS:
        rows = [r for r in tables["daily"] if r[0] == region]
        assert [(r[3], r[6]) for r in rows] == oracle[region]
        assert [r[2] for r in rows] == list(range(1, len(rows) + 1))
        assert rows[0][4].startswith("Song ")
    assert len(tables["hourly"]) == 24 * len(REGIONS) * charts_settings.top_n

    hour = day_hours(test_day)[5]
    run_hourly_etl(charts_settings, hour)
    run_hourly_charts(charts_settings, hour)
    run_daily_charts(charts_settings, test_day)
    assert _tables(charts_settings, test_day) == tables


def test_daily_waits_for_every_hour(charts_settings: ChartsSettings, lake: Lake, test_day: date) -> None:
    hour = day_hours(test_day)[0]
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(10))
    synthetic.write_raw(lake, charts_settings.lake.plays_path, synthetic.plays(hour, ["US"], 10, 10))
    with pytest.raises(NotReady):
        run_hourly_charts(charts_settings, day_hours(test_day)[1])
    run_hourly_etl(charts_settings, hour)
    run_hourly_charts(charts_settings, hour)
    with pytest.raises(NotReady, match="23 hourly loads"):
        run_daily_charts(charts_settings, test_day)


def test_hourly_load_fails_loudly_when_the_lake_disagrees_with_the_manifest(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    hour = day_hours(test_day)[7]
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(10))
    synthetic.write_raw(lake, charts_settings.lake.plays_path, synthetic.plays(hour, ["KR"], 25, 10))
    manifest = run_hourly_etl(charts_settings, hour)
    manifest["regions"]["KR"] += 1
    lake.write_json(marker_key(charts_settings, hour), manifest)
    with pytest.raises(DataQualityError, match="region KR"):
        run_hourly_charts(charts_settings, hour)


def _daily_load(settings: ChartsSettings, day: date) -> tuple[bool, dict] | None:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        row = conn.execute(
            "SELECT complete, by_region FROM chart_loads WHERE kind = 'daily' AND interval_start = %s::date",
            (day,),
        ).fetchone()
    return (row[0], row[1]) if row else None


def test_the_day_so_far_follows_its_loaded_hours_until_the_day_is_complete(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(30))
    hours = day_hours(test_day)
    ids: dict[str, list[str]] = {r: [] for r in REGIONS}

    def play(hour_index: int, per_region: int, seed: int) -> None:
        plays = synthetic.plays(hours[hour_index], REGIONS, per_region, songs=30, seed=seed)
        for region, song_id in zip(plays["region"].to_pylist(), plays["song_id"].to_pylist(), strict=True):
            ids[region].append(song_id)
            folder = partition(region, test_day, hour_index)
            key = f"{charts_settings.lake.plays_path}/{folder}/seed-{seed}.parquet"
            if not lake.exists(key):
                region_rows = plays.filter(pc.equal(plays["region"], region)).drop_columns(["region"])
                lake.write_parquet(key, region_rows)
        run_hourly_etl(charts_settings, hours[hour_index])
        run_hourly_charts(charts_settings, hours[hour_index])

    def daily_top() -> dict[str, list[tuple[str, int]]]:
        rows = _tables(charts_settings, test_day)["daily"]
        return {region: [(r[3], r[6]) for r in rows if r[0] == region] for region in REGIONS}

    # Before any hour is loaded there is nothing to show, and nothing is recorded.
    assert update_day(charts_settings, test_day) is None
    assert _daily_load(charts_settings, test_day) is None
    play(0, 20, 0)
    play(1, 30, 1)
    assert update_day(charts_settings, test_day)["plays"] == {r: 50 for r in REGIONS}
    assert daily_top() == _oracle_top(ids, charts_settings.top_n)
    assert _daily_load(charts_settings, test_day) == (False, {r: _fresh(50) for r in REGIONS})

    # A later hour closes: the day so far grows; its changes are not restatements of a final chart.
    play(2, 10, 2)
    update_day(charts_settings, test_day)
    assert daily_top() == _oracle_top(ids, charts_settings.top_n)
    assert _daily_load(charts_settings, test_day) == (False, {r: _fresh(60) for r in REGIONS})

    # Once every hour is loaded the day's run makes it complete: its first complete plays count.
    for hour in hours[3:]:
        run_hourly_etl(charts_settings, hour)
        run_hourly_charts(charts_settings, hour)
    run_daily_charts(charts_settings, test_day)
    assert _daily_load(charts_settings, test_day) == (True, {r: _fresh(60) for r in REGIONS})

    # A restated hour of a complete day reloads the complete day, counted as a restatement.
    play(2, 5, 3)
    update_day(charts_settings, test_day)
    assert daily_top() == _oracle_top(ids, charts_settings.top_n)
    complete, status = _daily_load(charts_settings, test_day) or (None, {})
    assert complete and status == {r: {"plays": 65, "first_plays": 60, "restatements": 1} for r in REGIONS}


def _fresh(plays: int) -> dict[str, int]:
    return {"plays": plays, "first_plays": plays, "restatements": 0}

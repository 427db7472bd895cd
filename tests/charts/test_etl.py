"""Hourly ETL over a raw lake fixture: validation, de-duplication, enrichment, atomic rewrite."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from topsongs_charts import synthetic
from topsongs_charts.charts import run_hourly_charts
from topsongs_charts.etl import enriched_key, marker_key, run_hourly_etl
from topsongs_charts.lake import Lake
from topsongs_charts.quality import DataQualityError
from topsongs_charts.raw import RAW_SCHEMA
from topsongs_charts.settings import ChartsSettings


def _hour(day: date, h: int) -> datetime:
    return datetime.combine(day, time(h), UTC)


def _bad_rows(hour: datetime) -> pa.Table:
    rows = [
        {"event_id": "bad-null-song", "song_id": None, "region": "US", "played_at": hour},
        {"event_id": None, "song_id": "s-00001", "region": "US", "played_at": hour},
        {
            "event_id": "bad-late",
            "song_id": "s-00001",
            "region": "US",
            "played_at": hour + timedelta(hours=2),
        },
        {"event_id": "bad-region", "song_id": "s-00001", "region": "ZZ", "played_at": hour},
    ]
    return pa.Table.from_pylist(rows, schema=RAW_SCHEMA)


def test_etl_dedups_validates_enriches_and_reports_unknown_songs(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    hour = _hour(test_day, 14)
    plays = synthetic.plays(hour, ["US", "GB"], per_region=300, songs=40, seed=1)
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(30))  # s-00030.. unknown
    synthetic.write_raw(lake, charts_settings.lake.plays_path, plays, files_per_partition=2)
    # The same events again (a replayed batch) in an extra file, plus rows that must be dropped.
    us = plays.filter(pc.equal(plays["region"], "US")).slice(0, 50)
    synthetic.write_raw(lake, charts_settings.lake.plays_path + "-dup", us)
    dup_key = lake.list_files(charts_settings.lake.plays_path + "-dup", recursive=True)[0]
    lake.fs.copy_file(
        lake.path(dup_key),
        lake.path(f"{charts_settings.lake.plays_path}/region=US/date={test_day}/hour=14/part-dup.parquet"),
    )
    bad = _bad_rows(hour)
    lake.write_parquet(
        f"{charts_settings.lake.plays_path}/region=US/date={test_day}/hour=14/part-bad.parquet",
        bad.drop_columns(["region"]),
    )

    manifest = run_hourly_etl(charts_settings, hour)

    # "bad-region" sits in the US folder, so its region comes from the path and it is valid.
    assert manifest["rows_in"] == 600 + 50 + 4
    assert manifest["invalid"] == 3
    assert manifest["duplicates"] == 50
    assert manifest["rows_out"] == 601
    assert manifest["regions"] == {"GB": 300, "US": 301}
    expected_unknown = sorted(s for s in set(plays["song_id"].to_pylist()) if s >= "s-00030")
    assert sorted(manifest["unknown_songs"]) == expected_unknown
    assert lake.read_json(marker_key(charts_settings, hour)) == json.loads(json.dumps(manifest))

    us_rows = lake.read_parquet(enriched_key(charts_settings, "US", hour))
    assert us_rows.num_rows == 301
    assert len(set(us_rows["event_id"].to_pylist())) == 301
    by_song = {r["song_id"]: r for r in us_rows.to_pylist()}
    assert by_song["s-00001"]["title"] == "Song 1"
    assert by_song["s-00001"]["genre"] == "rock"
    assert by_song["s-00001"]["release_year"] == 1961
    if expected_unknown:
        unknown = by_song[expected_unknown[0]]
        assert (unknown["title"], unknown["genre"]) == ("title from event", None)


def test_rerun_gives_the_same_partitions_and_drops_stale_regions(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    hour = _hour(test_day, 3)
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(50))
    plays = synthetic.plays(hour, ["DE", "FR"], per_region=200, songs=50, seed=2)
    synthetic.write_raw(lake, charts_settings.lake.plays_path, plays)

    first = run_hourly_etl(charts_settings, hour)
    de_first = lake.read_parquet(enriched_key(charts_settings, "DE", hour))
    second = run_hourly_etl(charts_settings, hour)
    assert first == second
    assert lake.read_parquet(enriched_key(charts_settings, "DE", hour)).equals(de_first)
    assert lake.list_files(f"{charts_settings.enriched_prefix}/_staging", recursive=True) == []

    lake.remove_tree(f"{charts_settings.lake.plays_path}/region=FR")
    third = run_hourly_etl(charts_settings, hour)
    assert third["regions"] == {"DE": 200}
    assert not lake.exists(enriched_key(charts_settings, "FR", hour))


def test_spark_log_decides_which_files_count(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    hour = _hour(test_day, 9)
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(20))
    plays = synthetic.plays(hour, ["JP"], per_region=100, songs=20, seed=3)
    keys = synthetic.write_raw(lake, charts_settings.lake.plays_path, plays, files_per_partition=2)
    committed = {"path": f"s3a://lake/{keys[0]}", "size": 1, "isDir": False, "action": "add"}
    with lake.fs.open_output_stream(lake.path(f"{charts_settings.lake.plays_path}/_spark_metadata/0")) as out:
        out.write(("v1\n" + json.dumps(committed) + "\n").encode())

    manifest = run_hourly_etl(charts_settings, hour)
    assert manifest["rows_out"] == 50

    ignoring = charts_settings.model_copy(update={"honour_spark_log": False})
    assert run_hourly_etl(ignoring, hour)["rows_out"] == 100


def test_plays_of_a_region_the_batch_does_not_know_fail_the_hour_by_name(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    """Ingest configured with a region Airflow's TOPSONGS_REGIONS lacks: the ETL fails naming it,
    instead of counting its plays as invalid and publishing an hour without them."""
    hour = _hour(test_day, 3)
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(10))
    plays = synthetic.plays(hour, ["US", "NZ", "SE"], per_region=5, songs=10)
    synthetic.write_raw(lake, charts_settings.lake.plays_path, plays)
    with pytest.raises(DataQualityError, match=r"regions NZ, SE .*TOPSONGS_REGIONS"):
        run_hourly_etl(charts_settings, hour)
    assert lake.read_json(marker_key(charts_settings, hour)) is None


def test_a_play_stored_with_a_nul_is_charted_with_a_replacement_character(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    """Ingest refuses NUL since 2026-12, but a play accepted before may hold one, and PostgreSQL text
    cannot: the hour still loads, that play counted under its id with U+FFFD for the NUL."""
    hour = _hour(test_day, 10)
    lake.write_parquet(charts_settings.catalog_key, synthetic.catalog(20))
    plays = synthetic.plays(hour, ["US"], per_region=30, songs=20, seed=3)
    songs, titles = plays["song_id"].to_pylist(), plays["title"].to_pylist()
    songs[0], titles[1] = "s-0\x0001", "bad\x00title"
    plays = plays.set_column(plays.schema.get_field_index("song_id"), "song_id", pa.array(songs))
    plays = plays.set_column(plays.schema.get_field_index("title"), "title", pa.array(titles))
    synthetic.write_raw(lake, charts_settings.lake.plays_path, plays)

    manifest = run_hourly_etl(charts_settings, hour)
    assert (manifest["rows_out"], manifest["invalid"], manifest["nul_replaced"]) == (30, 0, 2)
    assert manifest["unknown_songs"] == {"s-0\ufffd01": 1}
    loaded = run_hourly_charts(charts_settings, hour)
    assert loaded["plays"] == {"US": 30}
    with psycopg.connect(charts_settings.postgres.dsn()) as conn:
        stored = conn.execute(
            "SELECT plays FROM plays_hourly WHERE region = 'US' AND hour = %s AND song_id = %s",
            (hour, "s-0\ufffd01"),
        ).fetchall()
    assert stored == [(1,)]

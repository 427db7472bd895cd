"""One event_id, one play: later copies of played ids are dropped, with `played_at` an hour earlier
(the issue's 3,000 plays POSTed again) whichever hour is processed first, or within the hour with
another song and an earlier `played_at`."""

from __future__ import annotations

import json
from datetime import date, timedelta

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from topsongs_charts import synthetic
from topsongs_charts.claims import claim_new_files, prune_claims
from topsongs_charts.etl import marker_key
from topsongs_charts.lake import Lake
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import SPARK_LOG

from tests.charts.oracle import REGIONS, at, oracle, restate_all, tables, write_files


def _commit(lake: Lake, settings: ChartsSettings, batch: int, table: pa.Table, name: str) -> None:
    """Write ``table``'s files and commit them as the Spark sink's batch ``batch``."""
    write_files(lake, settings, table, name)
    keys = [
        k for k in lake.list_files(settings.lake.plays_path, recursive=True) if k.endswith(f"/{name}.parquet")
    ]
    entries = [
        json.dumps({"path": f"s3a://lake/{k}", "size": 1, "isDir": False, "action": "add"}) for k in keys
    ]
    with lake.fs.open_output_stream(lake.path(f"{settings.lake.plays_path}/{SPARK_LOG}/{batch}")) as out:
        out.write(("\n".join(["v1", *entries]) + "\n").encode())


def _an_hour_earlier(plays: pa.Table) -> pa.Table:
    moved = pc.subtract(plays["played_at"], pa.scalar(timedelta(hours=1), pa.duration("us")))
    return plays.set_column(
        plays.schema.get_field_index("played_at"), "played_at", moved.cast(plays["played_at"].type)
    )


def test_copies_of_played_ids_in_another_hour_count_once(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    settings = charts_settings
    lake.write_parquet(settings.catalog_key, synthetic.catalog(30))
    hour, now = at(test_day, 16), at(test_day + timedelta(days=2), 0)
    # Both copies in the lake before either hour is processed (the earlier hour is processed first).
    first = synthetic.plays(hour, REGIONS, 20, 30, seed=1)
    _commit(lake, settings, 0, first, "part-0")
    _commit(lake, settings, 1, _an_hour_earlier(first), "part-1")
    restate_all(settings, now)
    # A second set processed first, its copies arriving later.
    second = synthetic.plays(hour, REGIONS, 10, 30, seed=2)
    _commit(lake, settings, 2, second, "part-2")
    restate_all(settings, now)
    _commit(lake, settings, 3, _an_hour_earlier(second), "part-3")
    restate_all(settings, now)

    # Copies within the hour, of another song and with an earlier played_at, arriving later.
    third = synthetic.plays(hour, REGIONS, 5, 30, seed=3)
    _commit(lake, settings, 4, third, "part-4")
    restate_all(settings, now)
    copies = third.set_column(
        third.schema.get_field_index("song_id"), "song_id", pa.array(["s-00029"] * third.num_rows)
    )
    copies = copies.set_column(
        copies.schema.get_field_index("played_at"),
        "played_at",
        pa.array([hour] * copies.num_rows, copies["played_at"].type),
    )
    _commit(lake, settings, 5, copies, "part-5")
    restate_all(settings, now)

    loaded, expected = tables(settings, test_day), oracle([first, second, third], test_day)
    assert (loaded["plays"], loaded["daily"]) == (expected["plays"], expected["daily"])
    manifest = lake.read_json(marker_key(settings, at(test_day, 15)))
    assert manifest is not None
    assert (manifest["claimed_elsewhere"], manifest["rows_out"]) == (30 * len(REGIONS), 0)


def test_claims_past_the_horizon_are_pruned_and_their_files_stay_claimed(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    settings = charts_settings
    lake.write_parquet(settings.catalog_key, synthetic.catalog(30))
    old, recent = at(test_day, 3), at(test_day + timedelta(days=8), 3)
    _commit(lake, settings, 0, synthetic.plays(old, REGIONS, 5, 30, seed=4), "part-old")
    _commit(lake, settings, 1, synthetic.plays(recent, REGIONS, 5, 30, seed=5), "part-recent")
    claim_new_files(settings, lake)
    before = claims_per_hour(settings)
    assert set(before) == {old, recent}

    # the old hour is 8 days back: past the 7-day horizon and its one-day margin
    cutoff, deleted = prune_claims(settings, recent + timedelta(hours=2))
    assert old < cutoff <= recent
    assert deleted == before[old]
    assert claims_per_hour(settings) == {recent: before[recent]}
    # its file stays claimed: a later claiming pass reads nothing again
    claim_new_files(settings, lake)
    assert claims_per_hour(settings) == {recent: before[recent]}


def claims_per_hour(settings: ChartsSettings) -> dict:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        rows = conn.execute(
            "SELECT hour, count(*) FROM play_claims WHERE dataset = %s GROUP BY hour",
            (settings.lake.plays_path,),
        ).fetchall()
    return dict(rows)

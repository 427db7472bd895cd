"""Restatement against the real S3 store and PostgreSQL: hours that gain files are found and re-run,
late plays reach their hour's and day's charts, duplicates are counted once, reruns change nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg
import pytest
from topsongs_charts import loads, synthetic
from topsongs_charts.charts import update_day
from topsongs_charts.lake import Lake
from topsongs_charts.restate import (
    DaysNotCompleted,
    complete_day,
    complete_overdue_days,
    overdue_days,
    restate_hour,
    stale_hours,
)
from topsongs_charts.settings import ChartsSettings

from tests.charts.oracle import REGIONS, at, oracle, restate_all, tables, write_files
from tests.e2e.airflow_stack import private_chart_database

HOUR = timedelta(hours=1)


def _status(settings: ChartsSettings, kind: str, start: datetime) -> dict[str, dict[str, int]]:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        row = conn.execute(
            "SELECT by_region FROM chart_loads WHERE kind = %s AND interval_start = %s", (kind, start)
        ).fetchone()
    assert row is not None, f"no {kind} load of {start}"
    return row[0]


def test_late_plays_and_duplicates_are_restated_into_hour_and_day(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    settings = charts_settings.model_copy(update={"restate_batch_hours": 10})
    day, next_day = test_day, test_day + timedelta(days=1)
    lake.write_parquet(settings.catalog_key, synthetic.catalog(50))
    sent = [
        synthetic.plays(at(day, h), REGIONS, 12 + h % 5, 50, seed=h)
        for h in range(24)
        if h != 4  # an hour without plays still gets its (empty) chart
    ] + [synthetic.plays(at(next_day, h), REGIONS, 15, 50, seed=100 + h) for h in range(5)]
    for number, table in enumerate(sent):
        write_files(lake, settings, table, f"part-first-{number}")

    # Nothing was ever processed: every closed, settled hour is stale, and found in bounded batches.
    now = at(next_day, 5, 30)
    assert stale_hours(settings, now)[:2] == [at(day, 0), at(day, 1)]
    processed = restate_all(settings, now)
    # The first batch is the 10 oldest hours; reloading their (settled) day processed the rest of it.
    assert processed == [at(day, h) for h in range(11) if h != 4] + [at(next_day, h) for h in range(5)]
    loaded, expected = tables(settings, day), oracle(sent, day)
    assert (loaded["plays"], loaded["daily"]) == (expected["plays"], expected["daily"])
    assert _status(settings, "hourly", at(day, 4)) == {}
    assert all(s["restatements"] == 0 for s in _status(settings, "daily", at(day, 0)).values())

    # Late plays 2 days and 3 hours old, each file with ids the charts already counted.
    now = at(next_day + timedelta(days=1), 6, 30)
    two_days, three_hours = at(day, 6), at(next_day + timedelta(days=1), 3)
    late = [
        synthetic.plays(two_days, REGIONS, 7, 50, seed=900),
        synthetic.plays(three_hours, REGIONS, 4, 50, seed=901),
    ]
    first_of_hour6 = next(
        t for t in sent if t["played_at"][0].as_py().date() == day and t["played_at"][0].as_py().hour == 6
    )
    duplicates = [first_of_hour6.slice(0, 5), sent[-1].slice(0, 5)]
    for number, table in enumerate(late + duplicates):
        write_files(lake, settings, table, f"part-late-{number}")
    assert stale_hours(settings, now) == [two_days, at(next_day, 4), three_hours]
    restate_all(settings, now)

    before, expected = tables(settings, day), oracle(sent + late + duplicates, day)
    assert (before["plays"], before["daily"]) == (expected["plays"], expected["daily"])
    hour_status = _status(settings, "hourly", two_days)
    assert {r: (s["restatements"], s["plays"] - s["first_plays"]) for r, s in hour_status.items()} == {
        r: (1, 7) for r in REGIONS
    }
    day_status = _status(settings, "daily", at(day, 0))
    assert {r: s["plays"] - s["first_plays"] for r, s in day_status.items()} == {r: 7 for r in REGIONS}
    # Duplicates alone (hour 4 of the next day) change nothing: no restatement counted.
    assert all(s["restatements"] == 0 for s in _status(settings, "hourly", at(next_day, 4)).values())

    # Nothing is stale any more; running the restatement again leaves identical tables and counts.
    assert stale_hours(settings, now) == []
    restate_hour(settings, two_days)
    complete_day(settings, day)
    assert tables(settings, day) == before
    assert _status(settings, "hourly", two_days) == hour_status


def test_a_late_file_of_an_hour_past_the_horizon_is_still_restated(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    """A play accepted at the edge of `TOPSONGS_MAX_EVENT_AGE` whose file reaches the lake after its
    hour left the restatement's window (the lake paused 65 minutes) still reaches its charts."""
    settings = charts_settings
    lake.write_parquet(settings.catalog_key, synthetic.catalog(30))
    edge = at(test_day, 5)
    sent = [synthetic.plays(at(test_day, h), REGIONS, 9, 30, seed=h) for h in range(5, 9)]
    for number, table in enumerate(sent):
        write_files(lake, settings, table, f"part-first-{number}")
    now = edge + settings.contract.max_event_age + timedelta(minutes=30)
    restate_all(settings, now)
    assert tables(settings, test_day)["daily"] == oracle(sent, test_day)["daily"]

    # Late files for the edge hour, and for the hour before it, which had none so far.
    late = [synthetic.plays(edge - HOUR * n, REGIONS, 4, 30, seed=99 + n) for n in (0, 1)]
    for number, table in enumerate(late):
        write_files(lake, settings, table, f"part-late-{number}")
    now += timedelta(minutes=65)
    assert edge < now - settings.contract.max_event_age - HOUR  # outside the window of recent hours
    assert stale_hours(settings, now) == [edge - HOUR, edge]
    restate_all(settings, now)
    loaded, expected = tables(settings, test_day), oracle([*sent, *late], test_day)
    assert (loaded["plays"], loaded["daily"]) == (expected["plays"], expected["daily"])


def test_a_day_whose_own_run_failed_for_good_is_completed_or_named(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    """The daily run failed past its retries, and so did the hourly runs of the day's last hours,
    which had no plays (no lake files to restate them by): the day served the day so far as
    `pending` for ever. The restatement completes it once its run has settled, or fails naming it."""
    day = test_day
    # Its own chart database: overdue days are looked for in the whole database.
    with private_chart_database(charts_settings.postgres) as postgres:
        settings = charts_settings.model_copy(update={"postgres": postgres})
        lake.write_parquet(settings.catalog_key, synthetic.catalog(20))
        sent = [synthetic.plays(at(day, h), REGIONS, 5, 20, seed=h) for h in range(2)]
        for number, table in enumerate(sent):
            write_files(lake, settings, table, f"part-{number}")
        for h in range(2):  # the hourly runs that succeeded, each with the day so far after it
            restate_hour(settings, at(day, h))
            update_day(settings, day)

        settled = at(day + timedelta(days=1), 1)
        assert stale_hours(settings, settled) == []  # nothing else would ever look at the day again
        assert overdue_days(settings, at(day + timedelta(days=1), 0, 5)) == []  # left to its own run
        assert overdue_days(settings, settled) == [day]
        # An hourly chart that no longer sums to its plays: the complete day cannot pass its checks.
        _add_to_hour(postgres.dsn(), at(day, 1), 1)
        with pytest.raises(DaysNotCompleted, match=f"{day.isoformat()}: DataQualityError"):
            complete_overdue_days(settings, settled)
        assert not loads.daily_complete(postgres, day)
        assert overdue_days(settings, settled) == [day]  # tried again by the next run

        _add_to_hour(postgres.dsn(), at(day, 1), -1)
        assert list(complete_overdue_days(settings, settled)) == [day.isoformat()]
        assert loads.daily_complete(postgres, day)
        loaded, expected = tables(settings, day), oracle(sent, day)
        assert (loaded["plays"], loaded["daily"]) == (expected["plays"], expected["daily"])
        assert overdue_days(settings, settled) == []
        # Past the ingest horizon a day is left as it is.
        _add_to_hour(postgres.dsn(), at(day, 1), 0)
        assert overdue_days(settings, settled + settings.contract.max_event_age + HOUR) == []


def _add_to_hour(dsn: str, hour: datetime, plays: int) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE plays_hourly SET plays = plays + %s WHERE hour = %s", (plays, hour))

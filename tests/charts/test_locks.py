"""Concurrent writers of one hour and its day (hourly ETL retries, restatements, the daily run) while
late files arrive: every run succeeds and the tables end equal to the oracle."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from topsongs_charts import synthetic
from topsongs_charts.charts import update_day
from topsongs_charts.lake import Lake
from topsongs_charts.restate import complete_day, restate_hour
from topsongs_charts.settings import ChartsSettings

from tests.charts.oracle import REGIONS, at, oracle, restate_all, tables, write_files


def test_concurrent_runs_of_one_hour_while_late_files_arrive_equal_the_oracle(
    charts_settings: ChartsSettings, lake: Lake, test_day: date
) -> None:
    settings = charts_settings
    lake.write_parquet(settings.catalog_key, synthetic.catalog(40))
    hour, now = at(test_day, 9), at(test_day + timedelta(days=2), 0)
    sent = [synthetic.plays(hour, REGIONS, 40, 40, seed=0)]
    write_files(lake, settings, sent[0], "part-first")
    restate_all(settings, now)  # every hour and the complete day are loaded
    late = [synthetic.plays(hour, REGIONS, 3 + n, 40, seed=10 + n) for n in range(8)]

    def arrive() -> None:
        for number, table in enumerate(late):
            write_files(lake, settings, table, f"part-late-{number}")

    def repeat(run: Callable[[], object]) -> Callable[[], None]:
        def runs() -> None:
            for _ in range(4):
                run()

        return runs

    writers = [
        arrive,
        repeat(lambda: restate_hour(settings, hour)),  # the restatement
        repeat(lambda: restate_hour(settings, hour)),  # an hourly ETL retry
        repeat(lambda: update_day(settings, test_day)),  # the hourly run's day update
        repeat(lambda: complete_day(settings, test_day)),  # the daily run
    ]
    with ThreadPoolExecutor(len(writers)) as pool:
        futures = [pool.submit(writer) for writer in writers]
        assert [repr(f.exception()) for f in futures] == ["None"] * len(writers)

    # Files that landed after the last run's read make the hour stale: the restatement finishes it.
    restate_all(settings, now)
    loaded, expected = tables(settings, test_day), oracle(sent + late, test_day)
    assert (loaded["plays"], loaded["daily"]) == (expected["plays"], expected["daily"])

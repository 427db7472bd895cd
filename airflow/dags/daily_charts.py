"""
### Daily charts

For the run's UTC day: wait until the lake holds every play Kafka had at the day's deadline (as
`plays_hourly_etl` does for an hour), process any hour of the day that has no hourly load yet
(hours before the stack ran, or with no plays), then count the day's plays per (region, song) from
the enriched lake and replace that day's `top_songs_daily` rows in one transaction. Fails loudly
unless, per region, daily plays = sum of `plays_hourly` = enriched rows.
Logic: `topsongs_charts.restate.complete_day`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable


@dag(
    # Data-interval semantics: the run after day D closes processes [D, D+1).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2020, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=2,
    doc_md=__doc__,
    tags=["charts", "postgres"],
    # The wait between tries is Airflow's [core] default_task_retry_delay (set by devstack and compose).
    default_args={"retries": 3},
)
def daily_charts() -> None:
    """Lake complete for the day → missing hours → top_songs_daily."""

    @task
    def lake_complete(data_interval_end: datetime | None = None) -> dict:
        """Wait until the lake holds every play Kafka had at the day's deadline."""
        from topsongs_charts.progress import wait_for_interval
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_end is not None
        return wait_for_interval(ChartsSettings(), data_interval_end)

    @task
    def load_day(data_interval_start: datetime | None = None) -> dict:
        """Fill the day's missing hourly loads, roll up the day, check it, load it."""
        from topsongs_charts.restate import complete_day
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return complete_day(ChartsSettings(), data_interval_start.date())

    lake_complete() >> load_day()


daily_charts()

"""
### Daily charts

Once all 24 hourly loads of the run's UTC day are recorded, count the day's plays per
(region, song) from the enriched lake and replace that day's `top_songs_daily` rows in one
transaction. Fails loudly unless, per region, daily plays = sum of `plays_hourly` = enriched rows.
Logic: `topsongs_charts.charts`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import PokeReturnValue, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable


@dag(
    # Data-interval semantics: the run after day D closes processes [D, D+1).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=2,
    doc_md=__doc__,
    tags=["charts", "postgres"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=5)},
)
def daily_charts() -> None:
    """Enriched day → top_songs_daily."""

    @task.sensor(poke_interval=300, timeout=12 * 3600, mode="reschedule")
    def hours_loaded(data_interval_start: datetime | None = None) -> PokeReturnValue:
        """Wait until every hour of the day has its hourly load."""
        from topsongs_charts.charts import missing_hourly_loads
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        missing = missing_hourly_loads(ChartsSettings(), data_interval_start.date())
        return PokeReturnValue(is_done=not missing, xcom_value=len(missing))

    @task
    def load_day(data_interval_start: datetime | None = None) -> dict:
        """Roll up the day, check it against the hourly loads, load it."""
        from topsongs_charts.charts import run_daily_charts
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return run_daily_charts(ChartsSettings(), data_interval_start.date())

    hours_loaded() >> load_day()


daily_charts()

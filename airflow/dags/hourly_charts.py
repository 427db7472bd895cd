"""
### Hourly charts

Once `plays_hourly_etl` has published the run's hour, count plays per (region, song) from the
enriched lake and replace, in one transaction, that hour's rows of `plays_hourly` (every song) and
`top_songs_hourly` (top `CHARTS_TOP_N`, default 10; ties by plays desc, then `song_id`).
Fails loudly when the lake's counts differ from the ETL's manifest. Logic: `topsongs_charts.charts`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable


@dag(
    # Data-interval semantics: the run after hour H closes processes [H, H+1h).
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=4,
    doc_md=__doc__,
    tags=["charts", "postgres"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=2)},
)
def hourly_charts() -> None:
    """Enriched hour → plays_hourly and top_songs_hourly."""

    @task.sensor(poke_interval=60, timeout=6 * 3600, mode="reschedule")
    def hour_enriched(data_interval_start: datetime | None = None) -> bool:
        """Wait for the hour's ETL manifest."""
        from topsongs_charts.charts import hour_enriched as published
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return published(ChartsSettings(), data_interval_start)

    @task
    def load_hour(data_interval_start: datetime | None = None) -> dict:
        """Roll up the hour, check it, load it."""
        from topsongs_charts.charts import run_hourly_charts
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return run_hourly_charts(ChartsSettings(), data_interval_start)

    hour_enriched() >> load_hour()


hourly_charts()

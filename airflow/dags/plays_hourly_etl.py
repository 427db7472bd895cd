"""
### Hourly ETL of plays

For the run's data interval (one UTC hour) read `raw/plays/region=*/date=*/hour=*` (only files
committed in Spark's `_spark_metadata` log when it exists), drop invalid rows, keep one row per
`event_id`, enrich with the song catalog (`catalog/songs/songs.parquet`; unknown songs are kept and
reported), and replace `enriched/plays/region=R/date=D/hour=H/part-0.parquet` atomically. The hour's
manifest (`enriched/plays/_hours/...`) is written last; `hourly_charts` waits for it.
Re-running an hour gives the same partitions. Logic: `topsongs_charts.etl`.
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
    tags=["charts", "lake"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=2)},
)
def plays_hourly_etl() -> None:
    """Raw plays of one hour → enriched partitions."""

    @task
    def enrich_hour(data_interval_start: datetime | None = None) -> dict:
        """Validate, de-duplicate, enrich and publish the hour; returns its manifest."""
        from topsongs_charts.etl import run_hourly_etl
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return run_hourly_etl(ChartsSettings(), data_interval_start)

    enrich_hour()


plays_hourly_etl()

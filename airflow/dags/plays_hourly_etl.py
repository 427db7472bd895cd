"""
### Hourly ETL and charts of plays

For the run's data interval (one UTC hour):

1. `lake_complete` waits until the hour's deadline (its end + `CHARTS_DEADLINE_GRACE`), reads the
   plays topic's end offsets once, and waits until the lake job's newest checkpoint commit covers
   them: every play Kafka held at the deadline is then in the lake. Plays that reach Kafka later are
   late and `plays_restatement` picks them up. Past `CHARTS_LAKE_WAIT_LIMIT` it fails, naming how
   far behind the lake is, and the hour stays pending (retries wait again).
2. `enrich_hour` reads `raw/plays/region=*/date=*/hour=*` (files committed in Spark's
   `_spark_metadata` log), drops invalid rows, keeps one row per `event_id`, enriches with the song
   catalog and replaces `enriched/plays/region=R/date=D/hour=H/part-0.parquet`; the hour's manifest
   (`enriched/plays/_hours/...`, with the number of raw files read) is written last.
3. `load_hour` replaces, in one transaction, that hour's rows of `plays_hourly` (every song) and
   `top_songs_hourly` (top `CHARTS_TOP_N`; ties by plays desc, then `song_id`) and records the load.
4. `update_day` reloads the hour's day in `top_songs_daily`: the day so far (its loaded hours, not
   complete; served as `open`) until the day's own run has loaded it complete, the complete day after.

Re-running an hour gives the same tables. Logic: `topsongs_charts.progress`, `.etl`, `.charts`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable


@dag(
    # Data-interval semantics: the run after hour H closes processes [H, H+1h).
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2020, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=4,
    doc_md=__doc__,
    tags=["charts", "lake", "postgres"],
    # The wait between tries is Airflow's [core] default_task_retry_delay (set by devstack and compose).
    default_args={"retries": 3},
)
def plays_hourly_etl() -> None:
    """Lake complete for the hour → enriched partitions → hourly tables → the day so far."""

    @task
    def lake_complete(data_interval_end: datetime | None = None) -> dict:
        """Wait until the lake holds every play Kafka had at the hour's deadline."""
        from topsongs_charts.progress import wait_for_interval
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_end is not None
        return wait_for_interval(ChartsSettings(), data_interval_end)

    @task
    def enrich_hour(data_interval_start: datetime | None = None) -> dict:
        """Validate, de-duplicate, enrich and publish the hour; returns its manifest."""
        from topsongs_charts.etl import run_hourly_etl
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return run_hourly_etl(ChartsSettings(), data_interval_start)

    @task
    def load_hour(data_interval_start: datetime | None = None) -> dict:
        """Roll up the hour, check it against the manifest, load it."""
        from topsongs_charts.charts import run_hourly_charts
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return run_hourly_charts(ChartsSettings(), data_interval_start)

    @task
    def update_day(data_interval_start: datetime | None = None) -> dict | None:
        """The hour's day so far (or its complete chart again) in top_songs_daily."""
        from topsongs_charts.charts import update_day as update
        from topsongs_charts.settings import ChartsSettings

        assert data_interval_start is not None
        return update(ChartsSettings(), data_interval_start.date())

    lake_complete() >> enrich_hour() >> load_hour() >> update_day()


plays_hourly_etl()

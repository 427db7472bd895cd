"""The DAG folder imports cleanly, and each DAG runs with dag.test() over a lake fixture."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
from topsongs_charts import synthetic
from topsongs_charts.charts import run_hourly_charts
from topsongs_charts.etl import run_hourly_etl
from topsongs_charts.intervals import day_hours
from topsongs_charts.lake import Lake
from topsongs_charts.settings import ChartsSettings

from tests.airflow.conftest import AIRFLOW_PYTHON

RUN_DAG = Path(__file__).with_name("run_dag.py")
DAGS = Path(__file__).resolve().parents[2] / "airflow" / "dags"
REGIONS = ["US", "MX", "IN"]
HOUR = timedelta(hours=1)

CHECK_BAG = """
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=%r)
assert not bag.import_errors, bag.import_errors
for dag_id, dag in sorted(bag.dags.items()):
    assert dag.doc_md and dag.tags, dag_id
    assert all(t.retries >= 1 for t in dag.tasks), dag_id
    print("DAG", dag_id)
"""


def _dag_test(env: dict[str, str], dag_id: str, start: datetime, length: timedelta) -> None:
    """dag.test() of the run whose data interval is [start, start + length)."""
    result = subprocess.run(
        [str(AIRFLOW_PYTHON), str(RUN_DAG), dag_id, (start + length).isoformat(), start.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def _tables(settings: ChartsSettings, day: date) -> dict[str, list[tuple]]:
    with psycopg.connect(settings.postgres.dsn()) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        window = "BETWEEN %s::date AND %s::date + interval '23 hours'"
        return {
            name: conn.execute(query, (day, day) if "BETWEEN" in query else (day,)).fetchall()
            for name, query in {
                "hourly": f'SELECT region, "timestamp", rank, song_id, plays FROM top_songs_hourly'
                f' WHERE "timestamp" {window} ORDER BY 1, 2, 3',
                "plays": f"SELECT region, hour, song_id, plays FROM plays_hourly WHERE hour {window}"
                " ORDER BY 1, 2, 3",
                "daily": "SELECT region, rank, song_id, plays FROM top_songs_daily WHERE date = %s"
                " ORDER BY 1, 2",
            }.items()
        }


def _write_day(settings: ChartsSettings, day: date, hours: range) -> None:
    lake = Lake.from_s3(settings.s3)
    lake.write_parquet(settings.catalog_key, synthetic.catalog(40))
    for h in hours:
        hour = day_hours(day)[h]
        synthetic.write_raw(
            lake, settings.lake.plays_path, synthetic.plays(hour, REGIONS, 30 + h, 45, seed=h)
        )


def test_dagbag_imports_every_dag_without_errors(airflow_env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", CHECK_BAG % str(DAGS)],
        env=airflow_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    dag_ids = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("DAG ")]
    assert dag_ids == ["daily_charts", "plays_hourly_etl", "plays_restatement"]


@pytest.mark.slow
def test_hourly_dags_run_and_rerun_identically(
    dag_env: dict[str, str], charts_settings: ChartsSettings, test_day: date
) -> None:
    env = dag_env
    _write_day(charts_settings, test_day, range(13, 14))
    hour = datetime.combine(test_day, time(13), UTC)
    _dag_test(env, "plays_hourly_etl", hour, HOUR)
    first = _tables(charts_settings, test_day)
    assert sum(r[3] for r in first["plays"]) == 43 * len(REGIONS)
    assert {r[1] for r in first["hourly"]} == {hour}
    # The day so far: the one loaded hour's top songs, until the day's own run.
    assert {r[0] for r in first["daily"]} == set(REGIONS)
    assert len(first["daily"]) == len(REGIONS) * charts_settings.top_n

    _dag_test(env, "plays_hourly_etl", hour, HOUR)
    assert _tables(charts_settings, test_day) == first


@pytest.mark.slow
def test_daily_dag_after_a_24_hour_backfill(
    dag_env: dict[str, str], charts_settings: ChartsSettings, test_day: date
) -> None:
    _write_day(charts_settings, test_day, range(24))
    # Half the hours are loaded by the task logic (for speed); the daily DAG processes the others.
    for hour in day_hours(test_day)[:12]:
        run_hourly_etl(charts_settings, hour)
        run_hourly_charts(charts_settings, hour)
    _dag_test(dag_env, "daily_charts", day_hours(test_day)[0], timedelta(days=1))

    tables = _tables(charts_settings, test_day)
    enriched = sum(30 + h for h in range(24)) * len(REGIONS)
    assert sum(r[3] for r in tables["plays"]) == enriched
    lake = Lake.from_s3(charts_settings.s3)
    assert (
        sum(
            lake.read_parquet(k).num_rows
            for k in lake.list_files(charts_settings.enriched_prefix, recursive=True)
            if k.endswith(".parquet")
        )
        == enriched
    )
    per_region: dict[str, int] = {}
    for region, _, _, plays in tables["plays"]:
        per_region[region] = per_region.get(region, 0) + plays
    assert set(per_region) == set(REGIONS)
    assert {r[0] for r in tables["daily"]} == set(REGIONS)
    assert len(tables["daily"]) == len(REGIONS) * charts_settings.top_n

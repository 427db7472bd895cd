"""Fixtures: a private Airflow home (SQLite metadata, migrated once) and a private lake prefix."""

from __future__ import annotations

import os
import random
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from topsongs_charts import loads, migrate
from topsongs_charts.lake import Lake
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.config import DevstackSettings

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "airflow" / "dags"
# Airflow's own environment (airflow/requirements.lock.txt), as devstack runs it.
AIRFLOW_PYTHON = DevstackSettings().airflow_venv / "bin" / "python"
AIRFLOW = AIRFLOW_PYTHON.parent / "airflow"


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of an Airflow whose metadata lives in a throw-away SQLite file."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    }
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return env


@pytest.fixture
def charts_settings(
    engines: None, s3_settings: S3Settings, pg_settings: PostgresSettings
) -> Iterator[ChartsSettings]:
    """Chart settings with lake datasets under a prefix private to this test."""
    migrate.apply(pg_settings)
    root = f"tests/airflow-{uuid.uuid4().hex[:10]}"
    yield ChartsSettings(
        lake=LakeLayout(plays_path=f"{root}/raw/plays"),
        enriched_prefix=f"{root}/enriched/plays",
        catalog_key=f"{root}/catalog/songs/songs.parquet",
        s3=s3_settings,
        postgres=pg_settings,
    )
    Lake.from_s3(s3_settings).remove_tree(root)


@pytest.fixture
def test_day(pg_settings: PostgresSettings) -> Iterator[date]:
    """A past day in 2020-2023 (the DAGs start in 2020) nobody else uses; its rows are deleted after."""
    day = date(2020, 1, 1) + timedelta(days=random.randrange(4 * 365))
    yield day
    loads.delete_day(pg_settings, day)


@pytest.fixture
def dag_env(
    airflow_env: dict[str, str], charts_settings: ChartsSettings, kafka_settings: KafkaSettings
) -> dict[str, str]:
    """The Airflow environment plus CHARTS_* pointing the tasks at the test's lake prefix, and an
    empty private plays topic (so the lake, holding nothing, is complete for it)."""
    settings = charts_settings
    return {
        **airflow_env,
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "LAKE_CHECKPOINT_LOCATION": f"{settings.lake.plays_path}/_checkpoint",
        "CHARTS_LAKE_WAIT_LIMIT": "PT30S",
        "LAKE_PLAYS_PATH": settings.lake.plays_path,
        "CHARTS_ENRICHED_PREFIX": settings.enriched_prefix,
        "CHARTS_CATALOG_KEY": settings.catalog_key,
        "CHARTS_TOP_N": str(settings.top_n),
    }

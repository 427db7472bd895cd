"""The cluster profile's Airflow: CeleryExecutor, redis as its broker, a separate Celery worker.

A DAG run triggered through the REST API succeeds and its task ran on the worker (the worker's log
has the run's workload), with the scheduler's heartbeat and the worker's ping seen by `status()`, and
redis' password in no log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from topsongs_charts.lake import Lake
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.cluster.airflow import CeleryAirflow, Redis, redis_password
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.process import free_port

from tests.e2e.airflow_stack import (
    AirflowApi,
    pipeline_env,
    private_chart_database,
    private_metadata_database,
    running_airflow,
)

DAG = "plays_restatement"


@pytest.fixture
def cluster(tmp_path: Path) -> ClusterSettings:
    """Cluster settings with a temporary state folder and free ports on 127.0.0.1, so a running
    `make cluster-up` (or another test) never collides with this one."""
    return ClusterSettings(
        state_dir=tmp_path / "cluster",
        redis_host="127.0.0.1",
        redis_port=free_port(),
        airflow_hosts=("127.0.0.1",) * 3,
        airflow_port=free_port(),
    )


@pytest.fixture
def redis(cluster: ClusterSettings) -> Iterator[Redis]:
    """redis-server, up and answering; stopped after."""
    server = Redis(cluster)
    try:
        server.up()
        yield server
    finally:
        server.down()


@pytest.fixture
def charts(s3_settings: S3Settings, pg_settings: PostgresSettings, kafka_settings: KafkaSettings) -> Iterator:
    """Chart settings on an empty private lake prefix and a private chart database; both removed after."""
    root = f"tests/celery-{uuid.uuid4().hex[:8]}"
    with private_chart_database(pg_settings) as postgres:
        yield ChartsSettings(
            lake=LakeLayout(plays_path=f"{root}/raw"),
            enriched_prefix=f"{root}/enriched",
            catalog_key=f"{root}/catalog/songs.parquet",
            lake_checkpoint=f"s3a://{s3_settings.bucket}/{root}/checkpoints/plays",
            s3=s3_settings,
            postgres=postgres,
            kafka=kafka_settings,
        )
    Lake.from_s3(s3_settings).remove_tree(root)


@pytest.fixture
async def airflow(
    cluster: ClusterSettings, redis: Redis, charts: ChartsSettings, pg_settings: PostgresSettings
) -> AsyncIterator[tuple[CeleryAirflow, AirflowApi]]:
    """The cluster's Airflow on a private metadata database, every DAG paused until the test unpauses it."""
    with private_metadata_database() as database:
        env = {**pipeline_env(charts), "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True"}
        component = CeleryAirflow(cluster, redis, pg_settings, database=database, extra_env=env)
        async with running_airflow(component) as api:
            yield component, api


def test_redis_requires_its_password(redis: Redis) -> None:
    """redis answers with the generated password (kept 0600) and refuses any other."""
    secret = redis.settings.secrets_dir / "redis.password"
    assert secret.stat().st_mode & 0o077 == 0
    assert redis.ping()
    real = secret.read_text()
    secret.write_text("not-the-password")
    try:
        assert not redis.ping()
    finally:
        secret.write_text(real)
    assert redis.ping()


async def test_dag_run_executes_on_the_celery_worker(airflow: tuple[CeleryAirflow, AirflowApi]) -> None:
    """A REST-triggered run of the restatement (empty lake: nothing stale) succeeds, via the worker."""
    component, api = airflow
    await api.unpause(DAG)
    run_id = await api.trigger(DAG)
    assert await api.wait(DAG, run_id, timeout_s=180) == "success"
    assert await api.xcom(DAG, run_id, "find_stale_hours") == []
    worker_log = component.procs["celery-worker"].log_file.read_text(errors="replace")
    executed = [line for line in worker_log.splitlines() if "Executing workload in Celery" in line]
    assert any(run_id in line and "find_stale_hours" in line for line in executed), worker_log[-3000:]
    status = component.status()
    assert status.healthy, status.detail
    assert "answers ping" in status.detail
    # The broker URL reaches every process's environment; no log (process or task) may show it.
    password = redis_password(component.redis.settings).get_secret_value()
    assert password not in status.detail
    logs = sorted(component.settings.state_dir.rglob("*.log"))
    assert component.procs["celery-worker"].log_file in logs
    assert any("dag_id=" in str(log) for log in logs), logs
    assert [log for log in logs if password in log.read_text(errors="replace")] == []

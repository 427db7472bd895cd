"""The cluster profile's Airflow: CeleryExecutor, redis as its broker, a separate Celery worker.

redis refuses another profile's password. On the session's profile the worker is SIGKILLed while a
task of `plays_hourly_etl` (triggered through the REST API) runs: the scheduler fails that try once
its heartbeat is older than `CLUSTER_AIRFLOW_TASK_HEARTBEAT_TIMEOUT_S`, retries it after
`CLUSTER_AIRFLOW_RETRY_DELAY_S` on the restarted worker, and the hour's charts equal the oracle of the
plays ingest accepted, and a second, clean run's. That clean run ran on the worker (its log has each
task's workload) and returned the hour's totals through the REST API; `status()` then sees the
scheduler's heartbeat and the restarted worker's ping, and redis' password is in no log.

A private profile (conftest) uses 15 s and 5 s. With `TESTS_REUSE_CLUSTER=1` the running profile's
values apply: start it with e.g. `CLUSTER_AIRFLOW_TASK_HEARTBEAT_TIMEOUT_S=15
CLUSTER_AIRFLOW_RETRY_DELAY_S=5 make cluster-up`, or the kill test waits the defaults (60 s + 120 s).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from simulator.catalog import shipped_catalog
from simulator.lake import SONGS_KEY, upload_catalog
from topsongs_charts.lake import Lake
from topsongs_charts.settings import ChartsSettings
from topsongs_core.settings import S3Settings
from topsongs_devstack.cluster.airflow import CeleryAirflow, Redis, components, postgres, redis_password
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.process import wait_until

from tests.e2e.airflow_stack import AirflowApi, admin_api
from tests.e2e.charts_oracle import HOUR, oracle_hour, play, plays_hourly, top_songs_hourly

DAG = "plays_hourly_etl"
PLAYS = 600


@pytest.fixture
def airflow(cluster: ClusterSettings) -> CeleryAirflow:
    """The profile's Airflow component (the same object `make cluster-up` builds)."""
    _, component = components(cluster)
    assert isinstance(component, CeleryAirflow)
    return component


@pytest.fixture
def catalog(cluster: ClusterSettings) -> None:
    """The song catalog in the profile's lake, which every ETL of an hour with plays reads: the
    simulator's catalog step, as `make demo` runs it (`make cluster-up` uploads none)."""
    s3 = S3Settings(endpoint_url=f"http://{cluster.s3_host}:{cluster.s3_port}")
    if not Lake.from_s3(s3).exists(SONGS_KEY):
        upload_catalog(shipped_catalog(), s3)


@pytest.fixture
async def api(airflow: CeleryAirflow) -> AsyncIterator[AirflowApi]:
    """A client of its REST API, logged in as the admin with the password the profile wrote."""
    client = await admin_api(airflow)
    yield client
    await client.http.aclose()


def test_redis_requires_its_password(
    cluster: ClusterSettings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """redis answers with the generated password (kept 0600) and refuses another profile's."""
    assert (cluster.secrets_dir / "redis.password").stat().st_mode & 0o077 == 0
    assert Redis(cluster).ping()
    stranger = cluster.model_copy(update={"state_dir": tmp_path_factory.mktemp("other-profile")})
    assert redis_password(stranger).get_secret_value() != redis_password(cluster).get_secret_value()
    assert not Redis(stranger).ping()


async def _free_hour(cluster: ClusterSettings) -> datetime:
    """The hour 4 h before this one (the fault battery uses the last hour), or the newest hour before
    it with no chart rows yet: a reused profile may hold an earlier run's plays there."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - 4 * HOUR
    for _ in range(24):
        if not any(rows for table in await _charts(cluster, hour) for rows in table.values()):
            return hour
        hour -= HOUR
    raise AssertionError(f"no hour without charts in the 24 before {hour + 24 * HOUR}")


async def _post_plays(cluster: ClusterSettings, hour: datetime) -> list[dict[str, object]]:
    """PLAYS plays of ``hour`` POSTed through the balancer; returns those ingest accepted."""
    songs, rng = shipped_catalog().songs[:30], random.Random()
    plays = [play(rng, songs, hour) for _ in range(PLAYS)]
    accepted: set[str] = set()
    url = f"http://{cluster.balancer_host}:{cluster.ingest_port}"
    key = {"x-api-key": ingest_keys(cluster.devstack()).client_key()}
    async with httpx.AsyncClient(base_url=url, headers=key) as http:
        for start in range(0, PLAYS, 100):
            response = await http.post("/plays", json={"events": plays[start : start + 100]}, timeout=30)
            assert response.status_code == 202, response.text
            accepted.update(response.json()["event_ids"])
    return [p for p in plays if p["event_id"] in accepted]


async def _restart_worker(airflow: CeleryAirflow) -> None:
    """Start the Celery worker again (Airflow.up starts only the stopped process) and wait for its pong."""
    await asyncio.to_thread(airflow.up)
    for _ in range(60):
        if await asyncio.to_thread(airflow.worker_pong):
            return
        await asyncio.sleep(2)
    raise AssertionError(f"the restarted worker never answered:\n{airflow.procs['celery-worker'].tail()}")


async def _kill_worker_during_a_task(
    api: AirflowApi, airflow: CeleryAirflow, run_id: str
) -> tuple[str, datetime]:
    """SIGKILL the worker's process group while one of the run's tasks runs on it, and start it again;
    returns that task and when it was killed. A task still `running` once the worker is dead lost its
    try to the kill; one that finished in between did not, and the next task is waited for."""
    worker = airflow.procs["celery-worker"]
    for _ in range(600):
        running = [task for task, state in (await api.task_states(DAG, run_id)).items() if state == "running"]
        if running:
            pid = worker.pid()
            assert pid is not None, "the Celery worker is not running"
            os.killpg(pid, signal.SIGKILL)
            killed_at = datetime.now(UTC)
            await asyncio.to_thread(wait_until, lambda: worker.pid() is None, 10, "the killed worker's exit")
            orphaned = (await api.task_states(DAG, run_id))[running[0]] == "running"
            await _restart_worker(airflow)
            if orphaned:
                return running[0], killed_at
        await asyncio.sleep(0.5)
    raise AssertionError(f"no task of {run_id} ran in 300 s: {await api.task_states(DAG, run_id)}")


async def _run_hour(api: AirflowApi, hour: datetime) -> str:
    """Trigger the DAG for [hour, hour + 1 h) with a logical date of its own (the hour may have a
    scheduled run, and a DAG has one run per logical date); returns the run id."""
    return await api.trigger(DAG, (hour, hour + HOUR), logical_date=datetime.now(UTC))


async def _charts(cluster: ClusterSettings, hour: datetime) -> tuple[dict, dict]:
    """plays_hourly and top_songs_hourly of the hour, in the profile's PostgreSQL."""
    pg = postgres(cluster)
    plays = await asyncio.to_thread(plays_hourly, pg, hour)
    return plays, await asyncio.to_thread(top_songs_hourly, pg, hour)


def _assert_ran_on_the_worker(cluster: ClusterSettings, airflow: CeleryAirflow, run_id: str) -> None:
    """Every task of ``run_id`` is in the Celery worker's log, `status()` sees the worker's ping, and
    no log (process or task) shows redis' password, which reaches every Airflow process's environment
    in the broker URL."""
    worker_log = airflow.procs["celery-worker"].log_file.read_text(errors="replace")
    executed = [line for line in worker_log.splitlines() if "Executing workload in Celery" in line]
    for task in ("lake_complete", "enrich_hour", "load_hour"):
        assert any(run_id in line and task in line for line in executed), (task, worker_log[-3000:])
    status = airflow.status()
    assert status.healthy, status.detail
    assert "answers ping" in status.detail
    password = redis_password(cluster).get_secret_value()
    assert password not in status.detail
    logs = sorted(cluster.logs_dir.glob("*.log")) + sorted(airflow.home.rglob("*.log"))
    assert airflow.procs["celery-worker"].log_file in logs
    assert any(f"run_id={run_id}" in str(log) for log in logs), logs
    assert [log for log in logs if password in log.read_text(errors="replace")] == []


@pytest.mark.usefixtures("catalog")
async def test_killed_celery_worker_task_is_retried_and_charts_equal_a_clean_run(
    cluster: ClusterSettings, airflow: CeleryAirflow, api: AirflowApi
) -> None:
    """SIGKILL of the worker mid-task: the try fails on its heartbeat, the retry succeeds, the charts
    equal the oracle and a clean second run's, which ran on the worker; no log shows redis' password."""
    await api.unpause(DAG)
    hour = await _free_hour(cluster)
    sent = await _post_plays(cluster, hour)
    # Kill + heartbeat timeout + retry delay, and the three tasks (lake waits included) twice over.
    bound = cluster.airflow_task_heartbeat_timeout_s + cluster.airflow_retry_delay_s + 420

    run_id = await _run_hour(api, hour)
    try:
        task, killed_at = await _kill_worker_during_a_task(api, airflow, run_id)
    finally:
        if airflow.procs["celery-worker"].pid() is None:
            await _restart_worker(airflow)
    state = await api.wait(DAG, run_id, bound)
    tries = await api.tries(DAG, run_id, task)
    assert state == "success", f"{run_id}: {state} {await api.task_states(DAG, run_id)} {tries}"
    assert tries[0]["state"] in {"failed", "up_for_retry"} and tries[-1]["state"] == "success", tries
    assert int(str(tries[-1]["try_number"])) >= 2, tries
    retried = datetime.fromisoformat(str(tries[1]["start_date"]))
    run = (await api.http.get(f"/dags/{DAG}/dagRuns/{run_id}")).json()
    ended = datetime.fromisoformat(run["end_date"])
    print(
        f"killed {task} at {killed_at:%H:%M:%S}; try 2 started {(retried - killed_at).total_seconds():.0f} s"
        f" later; run success {(ended - killed_at).total_seconds():.0f} s after the kill; tries"
        f" {[(t['try_number'], t['state']) for t in tries]}"
    )

    after_kill = await _charts(cluster, hour)
    expected = oracle_hour(sent, hour)
    top_n = ChartsSettings().top_n
    assert after_kill == (expected, {region: songs[:top_n] for region, songs in expected.items()})
    assert sum(n for songs in expected.values() for _, n in songs) == len(sent) == PLAYS
    # The clean-run comparison. A restatement of the hour (the profile runs one every 5 minutes)
    # swaps in the same rows, so it may overlap either run.
    started = time.monotonic()
    clean = await _run_hour(api, hour)
    assert await api.wait(DAG, clean, bound) == "success", await api.task_states(DAG, clean)
    assert await _charts(cluster, hour) == after_kill
    print(f"clean run of {hour:%H}:00 in {time.monotonic() - started:.0f} s")
    loaded = await api.xcom(DAG, clean, "load_hour")
    totals = {region: sum(n for _, n in songs) for region, songs in expected.items() if songs}
    assert isinstance(loaded, dict), loaded
    assert (loaded["hour"], loaded["plays"]) == (hour.isoformat(), totals), loaded
    _assert_ran_on_the_worker(cluster, airflow, clean)

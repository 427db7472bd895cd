"""A private Airflow (API server, scheduler, DAG processor; LocalExecutor) started by devstack's own
component, with its metadata in a database of its own, and a client of its REST API."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from topsongs_charts import migrate
from topsongs_charts.settings import ChartsSettings
from topsongs_core.settings import PostgresSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.postgres import Postgres
from topsongs_devstack.process import free_port
from topsongs_devstack.services.airflow import USER, Airflow

from tests.secret_scan import file_places, hits, process_places

DONE = {"success", "failed"}


@contextmanager
def private_chart_database(pg: PostgresSettings) -> Iterator[PostgresSettings]:
    """A migrated chart database of its own: a private Airflow's scheduled runs (they process real,
    recent intervals) and the test's loads never touch anybody's charts."""
    name = f"charts_e2e_{uuid.uuid4().hex[:8]}"
    postgres = Postgres(DevstackSettings(), pg)
    postgres.create_database(name)
    try:
        settings = pg.model_copy(update={"database": name})
        migrate.apply(settings)
        yield settings
    finally:
        postgres.drop_database(name)


def pipeline_env(charts: ChartsSettings) -> dict[str, str]:
    """The variables the DAGs' tasks and the lake job read for ``charts`` (settings only, no code)."""
    return {
        "PG_DATABASE": charts.postgres.database,
        "KAFKA_BOOTSTRAP_SERVERS": charts.kafka.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": charts.kafka.plays_topic,
        "TOPSONGS_MAX_EVENT_AGE": f"PT{int(charts.contract.max_event_age.total_seconds())}S",
        "CHARTS_ENRICHED_PREFIX": charts.enriched_prefix,
        "CHARTS_CATALOG_KEY": charts.catalog_key,
        "CHARTS_LAKE_WAIT_LIMIT": f"PT{int(charts.lake_wait_limit.total_seconds())}S",
        "CHARTS_LAKE_POLL_S": str(charts.lake_poll_s),
        "LAKE_PLAYS_PATH": charts.lake.plays_path,
        "LAKE_CHECKPOINT_LOCATION": charts.lake.checkpoint_location,
    }


class AirflowApi:
    """The few REST calls the tests make, as the admin user (a JWT from /auth/token)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @classmethod
    async def login(cls, url: str, password: str) -> AirflowApi:
        """A client holding a fresh access token."""
        async with httpx.AsyncClient(base_url=url, timeout=30) as anonymous:
            token = await anonymous.post("/auth/token", json={"username": USER, "password": password})
            token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        return cls(httpx.AsyncClient(base_url=f"{url}/api/v2", headers=headers, timeout=30))

    async def unpause(self, dag_id: str, timeout_s: float = 180) -> None:
        """Wait until the DAG processor has the DAG, then unpause it."""
        for _ in range(int(timeout_s)):
            response = await self.http.patch(f"/dags/{dag_id}", json={"is_paused": False})
            if response.status_code == 200:
                return
            await asyncio.sleep(1)
        raise AssertionError(f"DAG {dag_id} never appeared: {response.status_code} {response.text}")

    async def trigger(
        self,
        dag_id: str,
        interval: tuple[datetime, datetime] | None = None,
        logical_date: datetime | None = None,
    ) -> str:
        """A manual run for the data interval [start, end) (or of now); returns its run id.

        Its logical date is the interval's end unless given: a DAG has one run per logical date, so
        another run of an interval that has one (scheduled, say) needs a date of its own."""
        body: dict[str, object] = {"dag_run_id": f"test-{uuid.uuid4().hex[:8]}"}
        if interval is None:
            body["logical_date"] = (logical_date or datetime.now(UTC)).isoformat()
        else:
            start, end = interval
            body |= {
                "logical_date": (logical_date or end).isoformat(),
                "data_interval_start": start.isoformat(),
                "data_interval_end": end.isoformat(),
            }
        response = await self.http.post(f"/dags/{dag_id}/dagRuns", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["dag_run_id"])

    async def wait(self, dag_id: str, run_id: str, timeout_s: float = 420) -> str:
        """The run's final state, asked for every second."""
        for _ in range(int(timeout_s)):
            state = (await self.http.get(f"/dags/{dag_id}/dagRuns/{run_id}")).json()["state"]
            if state in DONE:
                return str(state)
            await asyncio.sleep(1)
        raise AssertionError(f"{dag_id} run {run_id} still {state} after {timeout_s} s")

    async def run_ids(self, dag_id: str, state: str = "success") -> list[str]:
        """The ids of every run of ``dag_id`` in ``state`` (scheduled and manual), oldest first."""
        params = {"state": state, "order_by": "start_date", "limit": 100}
        response = await self.http.get(f"/dags/{dag_id}/dagRuns", params=params)
        assert response.status_code == 200, response.text
        return [str(run["dag_run_id"]) for run in response.json()["dag_runs"]]

    async def xcom(self, dag_id: str, run_id: str, task_id: str) -> object:
        """A task's return value."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
        response = await self.http.get(path, params={"deserialize": True})
        assert response.status_code == 200, response.text
        value = response.json()["value"]
        return json.loads(value) if isinstance(value, str) else value

    async def tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, object]]:
        """Every try of a task instance so far (try_number, state, start_date, ...), oldest first."""
        response = await self.http.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries")
        assert response.status_code == 200, response.text
        return sorted(response.json()["task_instances"], key=lambda t: int(t["try_number"]))

    async def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        """State of every task instance of a run (mapped ones as ``task[index]``)."""
        response = await self.http.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {
            f"{t['task_id']}[{t['map_index']}]" if t["map_index"] >= 0 else t["task_id"]: t["state"]
            for t in response.json()["task_instances"]
        }


@contextmanager
def private_metadata_database() -> Iterator[str]:
    """A metadata database of its own on the shared PostgreSQL (dropped after), for a private Airflow."""
    database = f"airflow_e2e_{uuid.uuid4().hex[:8]}"
    postgres = Postgres(DevstackSettings(), PostgresSettings())
    postgres.create_database(database)
    try:
        yield database
    finally:
        postgres.drop_database(database)


async def admin_api(airflow: Airflow) -> AirflowApi:
    """A logged-in client of a running ``airflow``'s REST API, with the password it wrote for its admin."""
    password = json.loads((airflow.home / "simple_auth_manager_passwords.json").read_text())[USER]
    return await AirflowApi.login(airflow.url, password)


@asynccontextmanager
async def running_airflow(airflow: Airflow) -> AsyncIterator[AirflowApi]:
    """``airflow`` started, and a logged-in client of its REST API; everything stopped after."""
    try:
        await asyncio.to_thread(airflow.up)
        api = await admin_api(airflow)
        try:
            yield api
        finally:
            await api.http.aclose()
    finally:
        await asyncio.to_thread(airflow.down)


@asynccontextmanager
async def private_airflow(env: dict[str, str], state_dir: Path) -> AsyncIterator[AirflowApi]:
    """Airflow as `make up` runs it, on free ports, every DAG paused until a test unpauses it."""
    with private_metadata_database() as database:
        settings = DevstackSettings(state_dir=state_dir, airflow_port=free_port())
        airflow = Airflow(
            settings,
            PostgresSettings(),
            database=database,
            extra_env={**env, "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True"},
        )
        async with running_airflow(airflow) as api:
            yield api
            # After the test's runs: no secret of Airflow's in its processes (their task processes
            # included) or logs; they reach it through `_CMD` options reading 0600 files.
            places = process_places({role: pid for role, p in airflow.procs.items() if (pid := p.pid())})
            files = [*settings.logs_dir.rglob("*"), *(airflow.home / "logs").rglob("*")]
            places |= file_places(files, state_dir)
            assert hits(places, airflow_secrets(airflow)) == set()


def airflow_secrets(airflow: Airflow) -> dict[str, str]:
    """The secrets devstack generated for ``airflow``, and its metadata database URL."""
    names = ("jwt_secret", "api_secret_key", "sql_alchemy_conn")
    admin = json.loads((airflow.home / "simple_auth_manager_passwords.json").read_text())[USER]
    return {"admin password": admin, **{name: (airflow.home / name).read_text() for name in names}}

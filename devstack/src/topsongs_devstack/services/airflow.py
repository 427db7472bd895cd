"""Airflow 3 (API server, scheduler, DAG processor; LocalExecutor by default) with metadata in PostgreSQL."""

from __future__ import annotations

import json
import os
import secrets
import shlex
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
from topsongs_core.settings import PostgresSettings

from topsongs_devstack.component import Status, side_by_side
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.process import ManagedProcess, PlatformError, port_open, run, wait_until
from topsongs_devstack.secret_files import write_secret

USER = "admin"
# Seconds between a failed try and the next (`[core] default_task_retry_delay`; the DAGs set retries,
# not the delay, so each deployment chooses it).
RETRY_DELAY_S = 120
_ROLES = ("api-server", "scheduler", "dag-processor")


class Airflow:
    """Airflow's processes sharing one AIRFLOW_HOME under `<state_dir>/airflow`."""

    name = "airflow"

    def __init__(
        self,
        settings: DevstackSettings,
        pg: PostgresSettings,
        database: str = "airflow",
        extra_env: dict[str, str] | None = None,
        *,
        executor: str = "LocalExecutor",
        host: str = "127.0.0.1",
        extra_roles: Mapping[str, Sequence[str]] | None = None,
        statsd: tuple[str, int] | None = None,
    ) -> None:
        self.settings = settings
        # (host, port) of a StatsD server for Airflow's metrics (devstack's statsd_exporter).
        self.statsd = statsd
        self.pg = pg
        self.database = database
        self.executor = executor
        # Settings of the DAGs' tasks (CHARTS_*, KAFKA_*, ...) beyond the process environment.
        self.extra_env = extra_env or {}
        self.home = settings.state_dir / "airflow"
        self.port = settings.airflow_port
        self.host = host
        self.url = f"http://{host}:{self.port}"
        # Role → the `airflow` sub-command it runs; extra roles (a Celery worker) come after the three.
        self.commands: dict[str, list[str]] = {
            "api-server": ["api-server", "--port", str(self.port), "--host", host],
            # LocalExecutor's task logs are files the API server reads itself; Airflow's log server
            # would listen on port 8793 of every interface (it has no host setting).
            "scheduler": ["scheduler", "--skip-serve-logs"],
            "dag-processor": ["dag-processor"],
            **{role: list(argv) for role, argv in (extra_roles or {}).items()},
        }
        self.procs = {
            role: ManagedProcess(f"airflow-{role}", settings.run_dir, settings.logs_dir)
            for role in self.commands
        }

    @property
    def _passwords(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    def _secret(self, name: str) -> Path:
        """A generated secret's file: every process must share the JWT and session secrets, and they
        must survive restarts."""
        path = self.home / name
        if not path.exists():
            write_secret(path, secrets.token_urlsafe(32))
        return path

    def _from_file(self, path: Path) -> str:
        """An Airflow `_CMD` value printing ``path``: the option's secret stays out of every
        process's environment (Airflow runs it for the options it marks sensitive)."""
        return f"cat {shlex.quote(str(path))}"

    def env(self) -> dict[str, str]:
        """The AIRFLOW__* configuration of every process (no airflow.cfg edits)."""
        self.home.mkdir(parents=True, exist_ok=True)
        if not self._passwords.exists():
            self._passwords.write_text(json.dumps({USER: secrets.token_urlsafe(12)}))
            self._passwords.chmod(0o600)
        return {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "airflow" / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "airflow" / "plugins"),
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": str(RETRY_DELAY_S),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self._passwords),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": self._from_file(self._database_url()),
            "AIRFLOW__API_AUTH__JWT_SECRET_CMD": self._from_file(self._secret("jwt_secret")),
            "AIRFLOW__API__SECRET_KEY_CMD": self._from_file(self._secret("api_secret_key")),
            "AIRFLOW__API__BASE_URL": self.url,
            **self._metrics_env(),
            **self.extra_env,
        }

    def _database_url(self) -> Path:
        """The metadata database's URL (password included, percent-encoded) in a 0600 file."""
        return self._url_file(
            "sql_alchemy_conn", self.pg.dsn(database=self.database, scheme="postgresql+psycopg2")
        )

    def _url_file(self, name: str, url: str) -> Path:
        """``url`` (a password in it) written to a 0600 file of AIRFLOW_HOME, rewritten at each start."""
        path = self.home / name
        write_secret(path, url)
        return path

    def _metrics_env(self) -> dict[str, str]:
        return {} if self.statsd is None else statsd_env(*self.statsd)

    def install(self) -> None:
        """Airflow is installed by `uv sync`."""

    def health(self) -> dict[str, object] | None:
        """The API server's /monitor/health report (metadata DB, scheduler heartbeat, ...), None if down."""
        try:
            response = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5)
        except httpx.HTTPError:
            return None
        return dict(response.json()) if response.status_code == 200 else None

    def _healthy(self) -> bool:
        return self.health() is not None

    def up(self) -> None:
        """Migrate the metadata database, then start the three processes."""
        env = self.env()
        airflow = str(self.settings.airflow_venv / "bin" / "airflow")
        if not Path(airflow).exists():
            raise PlatformError(f"{airflow} is missing: `make setup-python` makes Airflow's environment")
        if all(p.pid() is None for p in self.procs.values()):
            run(
                [airflow, "db", "migrate"],
                "airflow db migrate",
                env={**os.environ, **env},
                cwd=REPO_ROOT,
            )
        for role, proc in self.procs.items():
            if proc.pid() is not None:
                continue
            if role == "api-server" and port_open(self.host, self.port):
                raise PlatformError(f"port {self.port} for Airflow's API server is taken by another process")
            print(f"[devstack] starting airflow {role}", flush=True)
            proc.start([airflow, *self.commands[role]], env=env, cwd=REPO_ROOT)
        api = self.procs["api-server"]
        wait_until(
            lambda: self._healthy() or api.pid() is None,
            self.settings.start_timeout_s,
            "airflow",
            api.log_file,
        )
        dead = [role for role, p in self.procs.items() if p.pid() is None]
        if dead:
            raise PlatformError(f"airflow {dead} exited during start-up:\n{self.procs[dead[0]].tail()}")

    def trigger(self, dag_id: str) -> str:
        """Start a manual run of ``dag_id`` through the REST API (as the admin user); returns its id."""
        password = json.loads(self._passwords.read_text())[USER]
        with httpx.Client(base_url=self.url, timeout=30) as http:
            token = http.post("/auth/token", json={"username": USER, "password": password})
            token.raise_for_status()
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            now = datetime.now(UTC).isoformat()
            run = http.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": now}, headers=headers)
            run.raise_for_status()
            return str(run.json()["dag_run_id"])

    def down(self) -> None:
        """Stop the processes: the scheduler first, so no new task starts; then the DAG processor and
        any extra role (a Celery worker) side by side (each takes seconds to exit, and none needs the
        other); the API server last, as running tasks report to it."""
        extra = [role for role in self.commands if role not in _ROLES]
        for step in (["scheduler"], ["dag-processor", *extra], ["api-server"]):
            side_by_side(self._stop, step)

    def _stop(self, role: str) -> None:
        if self.procs[role].stop():
            print(f"[devstack] stopped airflow {role}", flush=True)

    def status(self) -> Status:
        """Healthy when the API server answers and every process runs; shows the admin login."""
        running = all(p.pid() is not None for p in self.procs.values())
        try:
            password = json.loads(self._passwords.read_text())[USER]
        except (OSError, ValueError, KeyError):
            password = "(set on first `make up`)"
        return Status(self.name, running and self._healthy(), self.url, f"login {USER} / {password}")


def service(settings: DevstackSettings, env: Mapping[str, str] | None = None) -> Airflow:
    """The Airflow component, its metadata in the local PostgreSQL's `airflow` database, its metrics
    sent to devstack's statsd_exporter; ``env`` (devstack's: Airflow's S3 key) reaches its tasks."""
    return Airflow(
        settings, PostgresSettings(), extra_env=dict(env or {}), statsd=("127.0.0.1", settings.statsd_port)
    )


def statsd_env(host: str, port: int) -> dict[str, str]:
    """Airflow's settings sending StatsD to ``host:port`` with InfluxDB-style tags, which
    statsd_exporter turns into labels: the new metric names only (the legacy ones hold dag and task
    ids in the name). The client is airflow/plugins/connected_statsd.py (the plugins folder)."""
    return {
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": host,
        "AIRFLOW__METRICS__STATSD_PORT": str(port),
        # A connected socket: the library's own would receive on 0.0.0.0 (docs/security.md).
        "AIRFLOW__METRICS__STATSD_CUSTOM_CLIENT_PATH": "connected_statsd.ConnectedStatsClient",
        "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": "True",
        "AIRFLOW__METRICS__LEGACY_NAMES_ON": "False",
    }

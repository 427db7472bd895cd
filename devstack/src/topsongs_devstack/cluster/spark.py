"""Spark standalone on the cluster profile: one master and two workers, each on its own loopback address.

Started with pyspark's own launcher (``bin/spark-class``) from the project's environment; the lake job
is then submitted to the master by setting ``LAKE_SPARK_MASTER_URL`` (docs/lake.md, "On a Spark cluster").
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pyspark
from topsongs_charts.lake_accounts import LAKE as LAKE_ACCOUNT

from topsongs_devstack.apps import AppService
from topsongs_devstack.cluster.settings import ClusterSettings, service_kafka_env
from topsongs_devstack.component import Component, Status
from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.deployment.programs import LAKE
from topsongs_devstack.objectstore import lake_accounts
from topsongs_devstack.process import ManagedProcess, PlatformError, port_open
from topsongs_devstack.services.spark import METRICS_PATH, SparkJobService

SPARK_HOME = Path(pyspark.__file__).parent
SPARK_CLASS = SPARK_HOME / "bin" / "spark-class"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


def master_url(settings: ClusterSettings) -> str:
    """``spark://host:port`` of the master: what LAKE_SPARK_MASTER_URL is set to on this profile."""
    return f"spark://{settings.spark_master_host}:{settings.spark_master_port}"


def master_state(settings: ClusterSettings) -> dict[str, Any] | None:
    """The master's own view (``/json`` on its web UI): workers, cores, running apps; None if unreachable."""
    url = f"http://{settings.spark_master_host}:{settings.spark_ui_port}/json/"
    try:
        response = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    state: dict[str, Any] = response.json()
    return state


def _alive_workers(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]


class SparkDaemon:
    """One standalone daemon (master or worker) as a background JVM bound to its own address."""

    def __init__(self, name: str, host: str, port: int, argv: list[str], settings: ClusterSettings) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.argv = argv
        self.settings = settings
        self.work_dir = settings.state_dir / "spark" / name
        self.proc = ManagedProcess(name, settings.run_dir, settings.logs_dir)

    def install(self) -> None:
        """pyspark (its jars and launcher) comes with `uv sync`."""

    def env(self) -> dict[str, str]:
        """The daemon's environment: its address, its JVM size, where it keeps scratch files."""
        return {
            "SPARK_HOME": str(SPARK_HOME),
            # Binds the RPC endpoint and the web UI to this process's own address.
            "SPARK_LOCAL_IP": self.host,
            "SPARK_LOCAL_DIRS": str(self.work_dir / "tmp"),
            "SPARK_DAEMON_MEMORY": self.settings.spark_daemon_memory,
        }

    def _started(self) -> bool:
        return port_open(self.host, self.port)

    def _ready(self) -> bool:
        return self._started()

    def up(self) -> None:
        """Start unless already running, then wait until it is ready."""
        if self.proc.pid() is None:
            if port_open(self.host, self.port):
                raise PlatformError(f"{self.host}:{self.port} for {self.name} is taken by another process")
            (self.work_dir / "tmp").mkdir(parents=True, exist_ok=True)
            print(f"[cluster] starting {self.name}", flush=True)
            self.proc.start(self.argv, env=self.env(), cwd=REPO_ROOT)
        self.proc.wait_healthy(self._ready, self.settings.start_timeout_s, self.name)

    def down(self) -> None:
        """Stop the JVM (its process group: a worker's executors go with it)."""
        if self.proc.stop():
            print(f"[cluster] stopped {self.name}", flush=True)


class SparkMaster(SparkDaemon):
    """The standalone master: takes the workers' registrations and the apps' resource requests."""

    def __init__(self, settings: ClusterSettings) -> None:
        argv = [
            str(SPARK_CLASS),
            MASTER_CLASS,
            "--host",
            settings.spark_master_host,
            "--port",
            str(settings.spark_master_port),
            "--webui-port",
            str(settings.spark_ui_port),
        ]
        super().__init__(
            "spark-master", settings.spark_master_host, settings.spark_master_port, argv, settings
        )

    def _ready(self) -> bool:
        return self._started() and master_state(self.settings) is not None

    def status(self) -> Status:
        """Healthy when the master answers; alive workers and cores in use from its JSON."""
        state = master_state(self.settings)
        if state is None:
            return Status(self.name, False, master_url(self.settings), "not answering")
        workers = _alive_workers(state)
        detail = (
            f"{len(workers)}/{len(self.settings.spark_worker_hosts)} workers alive, "
            f"{state.get('coresused', 0)}/{state.get('cores', 0)} cores used, "
            f"{len(state.get('activeapps', []))} apps"
        )
        return Status(self.name, state.get("status") == "ALIVE", master_url(self.settings), detail)


class SparkWorker(SparkDaemon):
    """A standalone worker: offers its cores and memory to the master, runs the apps' executors."""

    def __init__(self, settings: ClusterSettings, number: int, host: str, port: int, ui_port: int) -> None:
        name = f"spark-worker-{number}"
        argv = [
            str(SPARK_CLASS),
            WORKER_CLASS,
            "--host",
            host,
            "--port",
            str(port),
            "--webui-port",
            str(ui_port),
            "--cores",
            str(settings.spark_worker_cores),
            "--memory",
            settings.spark_worker_memory,
            "--work-dir",
            str(settings.state_dir / "spark" / name / "work"),
            master_url(settings),
        ]
        super().__init__(name, host, port, argv, settings)

    def _registered(self) -> dict[str, Any] | None:
        state = master_state(self.settings)
        if state is None:
            return None
        return next((w for w in _alive_workers(state) if w.get("host") == self.host), None)

    def _ready(self) -> bool:
        # Ready once the master counts it: only then can an app's executors land on it.
        return self._started() and self._registered() is not None

    def status(self) -> Status:
        """Healthy when the master lists this worker as alive; its cores in use."""
        endpoint = f"{self.host}:{self.port}"
        if self.proc.pid() is None and not self._started():
            return Status(self.name, False, endpoint, "not running")
        worker = self._registered()
        if worker is None:
            return Status(self.name, False, endpoint, "not registered with the master")
        detail = f"{worker.get('coresused', 0)}/{worker.get('cores', 0)} cores used"
        return Status(self.name, True, endpoint, detail)


def lake_env(settings: ClusterSettings, kafka_env: Mapping[str, str]) -> dict[str, str]:
    """The lake job's environment on this profile: the master, its share of cores, jars, S3, Kafka.

    ``kafka_env`` is the caller's KAFKA_* (the cluster's ``lake`` user by default); the S3 key is the
    lake job's own account on the profile's store, as on the single node.
    """
    return {
        **kafka_env,
        **lake_accounts(settings.devstack()).env(LAKE_ACCOUNT),
        "LAKE_SPARK_MASTER_URL": master_url(settings),
        "LAKE_CORES_MAX": str(settings.lake_cores_max),
        "LAKE_EXECUTOR_CORES": str(settings.spark_worker_cores),
        "LAKE_EXECUTOR_MEMORY": settings.lake_executor_memory,
        "LAKE_TRIGGER_INTERVAL": settings.lake_trigger_interval,
        "LAKE_JARS_DIR": str(settings.cache_dir / "jars" / "spark"),
        # The workers run on this machine: the executors read the jars where they are.
        "LAKE_JARS_ON_WORKERS": "true",
        # The driver (its RPC endpoint, which the executors call back, and its UI with the metrics)
        # on its own address, not on every interface nor beside a `make up` job's :4040.
        "SPARK_LOCAL_IP": settings.lake_driver_host,
        "LAKE_UI_PORT": str(settings.lake_ui_port),
        "S3_ENDPOINT_URL": f"http://{settings.s3_host}:{settings.s3_port}",
    }


def lake_job(settings: ClusterSettings, kafka_env: Mapping[str, str] | None = None) -> AppService:
    """`python -m spark.job` as the driver, its executors on the workers; healthy while it runs, its
    metrics scraped on the driver's UI (job spark)."""
    env = lake_env(
        settings, kafka_env if kafka_env is not None else service_kafka_env(settings, LAKE.kafka_user)
    )
    argv = LAKE.argv([sys.executable])
    return SparkJobService(
        "spark",
        argv,
        None,
        None,
        settings.devstack(),
        master_url(settings),
        env=env,
        scrape=f"{settings.lake_driver_host}:{settings.lake_ui_port}",
        scrape_path=METRICS_PATH,
    )


def daemons(settings: ClusterSettings) -> list[SparkMaster | SparkWorker]:
    """The master, then its workers (the same ports, each on its own address)."""
    workers = [
        SparkWorker(settings, n, host, settings.spark_worker_port, settings.spark_worker_ui_port)
        for n, host in enumerate(settings.spark_worker_hosts, start=1)
    ]
    return [SparkMaster(settings), *workers]


def components(settings: ClusterSettings) -> list[Component]:
    """The standalone cluster, then the lake job submitted to it."""
    return [*daemons(settings), lake_job(settings)]

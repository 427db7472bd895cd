"""Where the cluster profile keeps its state, which loopback address each process listens on, its secrets."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from topsongs_core.settings import KafkaSettings

from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.deployment.programs import KAFKA_USERS
from topsongs_devstack.secret_files import write_secret
from topsongs_devstack.services.airflow import RETRY_DELAY_S


def _default_cache_dir() -> Path:
    return DevstackSettings().cache_dir


class ClusterSettings(BaseSettings):
    """Settings of the cluster profile (`make cluster-up`): addresses, ports and sizes of every process."""

    model_config = SettingsConfigDict(env_prefix="CLUSTER_", extra="ignore")

    state_dir: Path = REPO_ROOT / ".state" / "cluster"
    # Downloads (jars, the S3 server) are the single-node profile's: DEVSTACK_CACHE_DIR.
    cache_dir: Path = _default_cache_dir()
    start_timeout_s: float = 180.0

    # Kafka: three combined broker/controller nodes.
    kafka_hosts: tuple[str, ...] = ("127.0.1.1", "127.0.1.2", "127.0.1.3")
    kafka_port: int = 9094
    kafka_controller_port: int = 9095
    kafka_heap: str = "512m"
    kafka_partitions: int = 6
    # Each node's JMX exporter agent, on the node's own address (the profile's Prometheus scrapes it).
    kafka_metrics_port: int = 9404
    # The Faust app id: its consumer group and the prefix of its own topics (STREAMS_APP_ID of both workers).
    streams_app_id: str = "topsongs-live"

    # Spark standalone: one master, two workers.
    spark_master_host: str = "127.0.1.11"
    spark_master_port: int = 7077
    spark_ui_port: int = 8082
    spark_worker_hosts: tuple[str, ...] = ("127.0.1.12", "127.0.1.13")
    # C2: what each worker offers (the lake job takes its share with LAKE_CORES_MAX), the ports every
    # worker uses on its own address, and the heap of the master/worker daemons themselves.
    spark_worker_cores: int = 1
    spark_worker_memory: str = "1g"
    spark_worker_port: int = 7078
    spark_worker_ui_port: int = 8081
    spark_daemon_memory: str = "256m"
    # C2: the lake job's share of the workers (LAKE_CORES_MAX, LAKE_EXECUTOR_MEMORY of its driver).
    lake_cores_max: int = 2
    lake_executor_memory: str = "512m"
    # LAKE_TRIGGER_INTERVAL of the lake job: its micro-batch interval (the job's own default).
    lake_trigger_interval: str = "30 seconds"
    # The lake job's driver: the address it binds (its executors call it back there) and its UI's
    # port, which serves the driver's Prometheus metrics.
    lake_driver_host: str = "127.0.1.14"
    lake_ui_port: int = 4040

    # The load balancer in front of ingest and dashboard-api, and the processes behind it.
    balancer_host: str = "127.0.1.20"
    ingest_port: int = 8000
    dashboard_port: int = 8080
    ingest_hosts: tuple[str, ...] = ("127.0.1.21", "127.0.1.22")
    dashboard_hosts: tuple[str, ...] = ("127.0.1.23", "127.0.1.24")
    # Connections one client address may hold open on each of the balancer's front ends (0: no cap);
    # the servers' SERVING_MAX_CONNECTIONS_PER_ADDRESS default, which is off behind the balancer.
    balancer_max_connections_per_address: int = Field(default=512, ge=0)
    # A request's head and body (haproxy buffers it) must reach the balancer within this of its first
    # byte, else 408 and closed: the servers' SERVING_HEAD_TIMEOUT_S, which sees only the balancer.
    balancer_request_timeout_s: float = Field(default=10.0, gt=0)
    # haproxy's own Prometheus exporter on the balancer address (the profile's Prometheus scrapes it).
    balancer_metrics_port: int = 8405

    # Faust workers sharing the plays partitions.
    streams_hosts: tuple[str, ...] = ("127.0.1.25", "127.0.1.26")
    streams_web_port: int = 6066
    # STREAMS_SESSION_TIMEOUT_S of both workers: how soon one takes the partitions of the other when
    # it dies (Faust's 60 s by default; heartbeats go every 3 s).
    streams_session_timeout_s: float = 20.0

    # Airflow with the CeleryExecutor: redis as its broker; api-server, scheduler/dag-processor, worker.
    redis_host: str = "127.0.1.30"
    redis_port: int = 6379
    airflow_hosts: tuple[str, ...] = ("127.0.1.31", "127.0.1.32", "127.0.1.33")
    airflow_port: int = 8280
    # A task whose heartbeat is older than this is failed by the scheduler and retried (its worker
    # died): `[scheduler] task_instance_heartbeat_timeout` (Airflow's default is 300 s).
    airflow_task_heartbeat_timeout_s: int = 60
    # How often the scheduler looks for such tasks: `[scheduler]
    # task_instance_heartbeat_timeout_detection_interval` (Airflow's default).
    airflow_heartbeat_check_interval_s: float = 10.0
    # The wait before the retry: `[core] default_task_retry_delay`, as `make up`.
    airflow_retry_delay_s: int = RETRY_DELAY_S
    # Task slots of the Celery worker, as many as `make up`'s LocalExecutor (parallelism 4): a
    # `lake_complete` holds its slot while it waits, and with 2 the profile's own scheduled waits
    # after a start held both, so a triggered run queued until the lake's first commit (40-60 s).
    airflow_worker_concurrency: int = 4

    # One node each, the single-node profile's engines with their state here.
    postgres_host: str = "127.0.1.40"
    postgres_port: int = 5432
    s3_host: str = "127.0.1.41"
    s3_port: int = 7070
    # prometheus-postgres-exporter on the PostgreSQL node's address.
    postgres_exporter_port: int = 9187
    # statsd_exporter, where the S3 store and Airflow send StatsD (UDP), and its metrics.
    statsd_host: str = "127.0.1.42"
    statsd_port: int = 9125
    statsd_exporter_port: int = 9112
    # The lag monitor (python -m topsongs_charts.monitor) as Kafka user `monitor`.
    monitor_host: str = "127.0.1.43"
    monitor_port: int = 9108
    # Prometheus (port: DEVSTACK_PROMETHEUS_PORT, as on the single-node profile).
    prometheus_host: str = "127.0.1.50"

    @property
    def logs_dir(self) -> Path:
        """Log files of every cluster process."""
        return self.state_dir / "logs"

    @property
    def run_dir(self) -> Path:
        """Pid files of every cluster process."""
        return self.state_dir / "run"

    @property
    def secrets_dir(self) -> Path:
        """Generated passwords, the CA and node keys (mode 0700, files 0600)."""
        return self.state_dir / "secrets"

    @property
    def ca_file(self) -> Path:
        """The local CA's certificate (PEM), what every client trusts."""
        return self.secrets_dir / "ca.pem"

    @property
    def kafka_bootstrap_servers(self) -> str:
        """Every node's client listener."""
        return ",".join(f"{host}:{self.kafka_port}" for host in self.kafka_hosts)

    def devstack(self) -> DevstackSettings:
        """The single-node settings the reused engine classes take, with this profile's state and cache."""
        return DevstackSettings(
            state_dir=self.state_dir,
            cache_dir=self.cache_dir,
            kafka_controller_port=self.kafka_controller_port,
            kafka_heap=self.kafka_heap,
            start_timeout_s=self.start_timeout_s,
            postgres_exporter_port=self.postgres_exporter_port,
            statsd_port=self.statsd_port,
            statsd_exporter_port=self.statsd_exporter_port,
            monitor_port=self.monitor_port,
            spark_ui_port=self.lake_ui_port,
        )


def kafka_password(settings: ClusterSettings, user: str) -> SecretStr:
    """The SCRAM password of one Kafka user, generated on first use and kept in the secrets folder."""
    if user not in KAFKA_USERS:
        raise ValueError(f"unknown Kafka user {user!r}; known: {', '.join(KAFKA_USERS)}")
    path = settings.secrets_dir / f"kafka-{user}.password"
    if not path.exists():
        # URL-safe characters only: the value goes into SCRAM and JAAS strings unquoted.
        write_secret(path, secrets.token_urlsafe(24))
    return SecretStr(path.read_text().strip())


def service_kafka_settings(settings: ClusterSettings, user: str, **overrides: Any) -> KafkaSettings:
    """The `KafkaSettings` a service running as ``user`` gets on the cluster."""
    values: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": user,
        "sasl_password": kafka_password(settings, user),
        "ssl_cafile": settings.ca_file,
        "plays_partitions": settings.kafka_partitions,
        "replication_factor": len(settings.kafka_hosts),
    }
    return KafkaSettings(**{**values, **overrides})


def service_kafka_env(settings: ClusterSettings, user: str) -> dict[str, str]:
    """The `KAFKA_*` environment of a service process running as Kafka user ``user``.

    The password is in it; never print it. A process devstack starts gets it as a file
    (``KAFKA_SASL_PASSWORD_FILE``, topsongs_devstack.secret_files), not in its environment.
    """
    return {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": user,
        "KAFKA_SASL_PASSWORD": kafka_password(settings, user).get_secret_value(),
        "KAFKA_SSL_CAFILE": str(settings.ca_file),
        "KAFKA_PLAYS_PARTITIONS": str(settings.kafka_partitions),
        # Topics a service creates itself (Faust's changelogs) get the cluster's replication too.
        "KAFKA_REPLICATION_FACTOR": str(len(settings.kafka_hosts)),
    }

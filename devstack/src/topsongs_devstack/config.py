"""Where the local platform keeps its downloads and state, and how its processes are sized."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from topsongs_core.workspace import repo_root

REPO_ROOT = repo_root()


class DevstackSettings(BaseSettings):
    """Settings of the embedded platform (the engines this project starts by itself)."""

    model_config = SettingsConfigDict(env_prefix="DEVSTACK_", extra="ignore")

    cache_dir: Path = REPO_ROOT / ".cache"
    state_dir: Path = REPO_ROOT / ".state"
    # The embedded broker's Apache Kafka release (Maven Central): 4.x by default, 3.9.x still works.
    # Its data folder records the release that formatted it; a downgrade is refused.
    kafka_version: str = Field(default="4.4.0", pattern=r"^(3\.9|4)\.\d+(\.\d+)?$")
    kafka_controller_port: int = 19093
    kafka_heap: str = "768m"
    versitygw_version: str = "v1.8.0"
    ingest_port: int = 8000
    ingest_workers: int = 1
    # uvicorn's --limit-concurrency per ingest worker: past it, connections and requests in
    # progress get a plain 503 (no Retry-After) instead of piling up; the simulator and the
    # benchmarks use at most 64.
    ingest_limit_concurrency: int = Field(default=1000, ge=1)
    dashboard_port: int = 8080
    # One event loop writes each live update to its clients one socket at a time; two processes
    # use both cores of a laptop (10k /ws/live clients at 1 update/s, docs/live-charts.md).
    dashboard_workers: int = 2
    airflow_port: int = 8280
    # redis-server holding dashboard-api's shared history cache (127.0.0.1, password in
    # `<state_dir>/secrets`): when full it drops the least recently read chart.
    redis_port: int = 16379
    redis_maxmemory: str = "256mb"
    # Airflow's own environment (airflow/requirements.lock.txt, made by `make setup-python`).
    airflow_venv: Path = REPO_ROOT / ".venv-airflow"
    # The Faust worker's Prometheus metrics (127.0.0.1), also what its health check asks.
    streams_metrics_port: int = 9102
    # Prometheus (Debian's package) on 127.0.0.1; its data in <state_dir>/prometheus.
    # Not 9090: Debian's package also installs a system service there (enabled on systemd hosts).
    prometheus_port: int = 9190
    prometheus_retention: str = "7d"
    # An existing Prometheus (e.g. http://prometheus.internal:9090): the local one is not started,
    # and `devstack status` reports that one's targets instead.
    prometheus_url: str | None = None
    # The lag monitor's metrics (python -m topsongs_charts.monitor), on 127.0.0.1.
    monitor_port: int = 9108
    # Exporters (127.0.0.1): Debian's prometheus-postgres-exporter, the JMX exporter agent in Kafka.
    postgres_exporter_port: int = 9187
    kafka_metrics_port: int = 9404
    # statsd_exporter (Go module proxy, cached like versitygw): StatsD in over UDP, metrics out.
    statsd_exporter_version: str = "v0.31.0"
    statsd_port: int = 9125
    statsd_exporter_port: int = 9112
    # Dashboard sign-in (DEVSTACK_OIDC=1): Dex on 127.0.0.1, and dashboard-api told to require its
    # tokens. Off by default: `make up` then serves the dashboard to anyone on loopback, as before.
    oidc: bool = False
    dex_port: int = 5556
    # Dex v2.45.1's commit: its v2 tags are no valid Go module version (the module path has no /v2),
    # so the module proxy serves the release as this pseudo-version.
    dex_version: str = "v0.0.0-20260303133905-11d2eeb52b42"
    # The lake job's Spark UI, which also serves the driver's metrics (127.0.0.1).
    spark_ui_port: int = 4040
    start_timeout_s: float = 120.0

    @property
    def logs_dir(self) -> Path:
        """Log files of every managed process."""
        return self.state_dir / "logs"

    @property
    def targets_dir(self) -> Path:
        """Prometheus' file-based target lists: one file per running component that has metrics."""
        return self.state_dir / "prometheus" / "targets"

    @property
    def run_dir(self) -> Path:
        """Pid files of every managed process."""
        return self.state_dir / "run"

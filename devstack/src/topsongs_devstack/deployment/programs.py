"""The product's programs wherever they run (devstack process, compose container): how each one
starts, the port and path its health check asks, and the Kafka user it is on the secured cluster."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dashboard_api.serving import websocket_flags
from dashboard_api.settings import DashboardSettings

# Deadlines on reading a request and a bound on its head (docs/security.md).
HTTP_PROTOCOL = "topsongs_core.http_protocol:BoundedHttpProtocol"
# Behind haproxy every connection comes from the balancer's address: a per-address cap would cap
# the balancer, not a client, so the servers there run without one.
BEHIND_BALANCER = {"SERVING_MAX_CONNECTIONS_PER_ADDRESS": "0"}


@dataclass(frozen=True)
class AsgiApp:
    """An app factory of this repository served by uvicorn."""

    factory: str
    port: int
    health_path: str
    kafka_user: str
    settings: tuple[str, ...]
    # The app's own uvicorn flags (read when the command line is made, from that environment).
    serving_flags: Callable[[], Sequence[str]] | None = None

    def argv(self, python: Sequence[str], host: str, port: int | str, workers: int | str | None) -> list[str]:
        """uvicorn's command line (``workers`` None: uvicorn's single in-process server)."""
        argv = [*python, "-m", "uvicorn", self.factory, "--factory", "--host", host, "--port", str(port)]
        if workers is not None:
            argv += ["--workers", str(workers)]
        argv += ["--no-access-log", "--http", HTTP_PROTOCOL]
        if self.serving_flags is not None:
            argv += self.serving_flags()
        return argv


def dashboard_flags() -> list[str]:
    """dashboard-api's WebSocket transport (dashboard_api.serving), from its settings."""
    return websocket_flags(DashboardSettings())


@dataclass(frozen=True)
class Worker:
    """A long-running `python -m <module>` program."""

    module: str
    kafka_user: str
    settings: tuple[str, ...]
    port: int | None = None
    health_path: str | None = None

    def argv(self, python: Sequence[str], *args: str) -> list[str]:
        """``python -m module`` with ``args``."""
        return [*python, "-m", self.module, *args]


KAFKA = "topsongs_core.settings:KafkaSettings"
S3 = "topsongs_core.settings:S3Settings"
# Read by the HTTP protocol both ASGI apps are served with (BoundedHttpProtocol).
SERVING = "topsongs_core.http_protocol:ServingLimits"
INGEST = AsgiApp(
    "ingest.app:create_app",
    port=8000,
    health_path="/readyz",
    kafka_user="ingest",
    settings=("ingest.settings:IngestSettings", SERVING),
)
DASHBOARD = AsgiApp(
    "dashboard_api.app:create_app",
    port=8080,
    health_path="/healthz",
    kafka_user="dashboard",
    settings=("dashboard_api.settings:DashboardSettings", SERVING),
    serving_flags=dashboard_flags,
)
# The Faust worker serves Prometheus metrics on STREAMS_METRICS_PORT, which is also its health check.
STREAMS = Worker(
    "streams", "streams", ("streams.settings:StreamsSettings",), port=9102, health_path="/metrics"
)
# The Spark driver's UI answers while the streaming queries run.
LAKE = Worker(
    "spark.job",
    "lake",
    ("spark.settings:LakeSettings", KAFKA, S3),
    port=4040,
    health_path="/api/v1/applications",
)
# Creates topics and ACLs (ingest/src/ingest/kafka_setup.py); the super user on the cluster.
KAFKA_SETUP = Worker("ingest.kafka_setup", "admin", (KAFKA,))
# The one-shots and batch programs that are no Kafka client of their own.
CHARTS = ("topsongs_charts.settings:ChartsSettings",)
# The lake bucket, its accounts and policy, with the store's root key (compose's s3-init).
LAKE_INIT = (S3, "topsongs_charts.lake_accounts:LakeAccountSecrets", *CHARTS)
SIMULATOR = ("simulator.settings:SimulatorSettings", S3, "topsongs_core.settings:ContractSettings")
# The lag monitor measures every consumer from outside: read-only on the topics and groups it watches.
MONITOR = Worker(
    "topsongs_charts.monitor",
    "monitor",
    CHARTS,
    port=9108,
    health_path="/metrics",
)


def streams_args(datadir: str) -> list[str]:
    """The Faust worker's arguments: its data dir, no Faust web server (metrics come from our task)."""
    return ["--datadir", datadir, "worker", "-l", "info", "--without-web"]


# One SCRAM-SHA-512 user per service on the cluster, each held to its own ACLs; the admin (first)
# creates topics and ACLs and is the user the brokers talk to each other as.
KAFKA_USERS = tuple(p.kafka_user for p in (KAFKA_SETUP, INGEST, STREAMS, DASHBOARD, LAKE, MONITOR))

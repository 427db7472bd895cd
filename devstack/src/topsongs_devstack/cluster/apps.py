"""The product's services on the cluster profile: ingest ×2 and dashboard-api ×2 behind haproxy, two
Faust workers sharing the plays partitions; each on its own loopback address, configured by env only."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from topsongs_devstack.apps import AppService, ingest_service
from topsongs_devstack.cluster.balancer import Balancer, Pool
from topsongs_devstack.cluster.settings import ClusterSettings, service_kafka_env
from topsongs_devstack.component import Component, Status, side_by_side
from topsongs_devstack.deployment.programs import BEHIND_BALANCER, DASHBOARD, INGEST, STREAMS
from topsongs_devstack.prometheus import Prometheus
from topsongs_devstack.services import dashboard, streams

# A service's Kafka user → its KAFKA_* environment (the cluster's SCRAM credentials by default).
KafkaEnv = Callable[[str], Mapping[str, str]]


def shared_env(settings: ClusterSettings) -> dict[str, str]:
    """What every service process of the profile is told: PostgreSQL, the browser's origin, the app id."""
    balancer = f"http://{settings.balancer_host}:{settings.dashboard_port}"
    return {
        "PG_HOST": settings.postgres_host,
        "PG_PORT": str(settings.postgres_port),
        # The browser reaches dashboard-api through the balancer, so that is the origin it sends.
        "DASHBOARD_ALLOWED_ORIGINS": json.dumps([balancer]),
        # The streams user's Kafka ACLs are written for this prefix (cluster/kafka.py).
        "STREAMS_APP_ID": settings.streams_app_id,
        "STREAMS_SESSION_TIMEOUT_S": str(settings.streams_session_timeout_s),
        # The pipeline page reads the profile's own Prometheus (cluster/observability.py).
        "DASHBOARD_PROMETHEUS_URL": Prometheus(settings.devstack(), host=settings.prometheus_host).url,
    }


def services(
    settings: ClusterSettings, kafka_env: KafkaEnv | None = None, extra_env: Mapping[str, str] | None = None
) -> list[AppService]:
    """Every ingest, dashboard-api and streams process, each with its own Kafka user's environment.

    ``extra_env`` (e.g. private topics or app id in tests) is added to every process's environment.
    """
    kafka = kafka_env or (lambda user: service_kafka_env(settings, user))
    devstack = settings.devstack()
    base = shared_env(settings)

    def env(user: str, *, served: bool = True) -> dict[str, str]:
        return {**base, **kafka(user), **(BEHIND_BALANCER if served else {}), **(extra_env or {})}

    ingest = [
        ingest_service(
            devstack, name=f"ingest-{n}", host=host, port=settings.ingest_port, env=env(INGEST.kafka_user)
        )
        for n, host in enumerate(settings.ingest_hosts, start=1)
    ]
    # One process per address: the balancer spreads the clients, haproxy's checks see each process.
    boards = [
        dashboard.service(
            devstack,
            name=f"dashboard-{n}",
            host=host,
            port=settings.dashboard_port,
            workers=1,
            env=env(DASHBOARD.kafka_user),
        )
        for n, host in enumerate(settings.dashboard_hosts, start=1)
    ]
    # Same STREAMS_APP_ID (one consumer group), own data dirs `<state_dir>/streams-N`; each serves
    # its metrics on its own address, which is also its health check.
    workers = [
        streams.service(
            devstack,
            name=f"streams-{n}",
            env=env(STREAMS.kafka_user, served=False),
            metrics=(host, settings.streams_web_port),
        )
        for n, host in enumerate(settings.streams_hosts, start=1)
    ]
    return [*ingest, *workers, *boards]


def balancer(settings: ClusterSettings) -> Balancer:
    """haproxy on the balancer address: ingest's and dashboard-api's ports, round robin over the processes."""
    front = settings.balancer_host
    pools = [
        Pool(
            "ingest",
            (front, settings.ingest_port),
            [(f"ingest-{n}", host, settings.ingest_port) for n, host in enumerate(settings.ingest_hosts, 1)],
            stamp_idempotency_key=True,
            max_connections_per_address=settings.balancer_max_connections_per_address,
        ),
        Pool(
            "dashboard",
            (front, settings.dashboard_port),
            [
                (f"dashboard-{n}", host, settings.dashboard_port)
                for n, host in enumerate(settings.dashboard_hosts, 1)
            ],
            max_connections_per_address=settings.balancer_max_connections_per_address,
        ),
    ]
    return Balancer(
        settings.devstack(),
        pools,
        metrics=(front, settings.balancer_metrics_port),
        request_timeout_s=settings.balancer_request_timeout_s,
    )


class StreamsWorkers:
    """The streams workers as one when the profile stops: all at once (their own ``down`` then finds
    nothing to do). One after another, the last worker takes over every partition, and a SIGTERM
    during that rebalance hung its shutdown until it was killed 30 s later (tests/cluster's teardown)."""

    name = "streams"

    def __init__(self, workers: Sequence[AppService]) -> None:
        self.workers = list(workers)

    def install(self) -> None:
        """Each worker installs itself."""

    def up(self) -> None:
        """Each worker starts and is health-checked on its own, before this."""

    def down(self) -> None:
        """Stop every worker at once."""
        side_by_side(lambda worker: worker.down(), self.workers)

    def status(self) -> Status:
        """Healthy when every worker is."""
        sick = [s.name for s in (w.status() for w in self.workers) if not s.healthy]
        detail = f"{len(self.workers)} workers, one consumer group" + (f"; down: {sick}" if sick else "")
        return Status(self.name, not sick, "", detail)


def components(settings: ClusterSettings) -> list[Component]:
    """The services in start order, the streams workers as one (for stopping), then the balancer."""
    processes = services(settings)
    workers = [p for p in processes if p.name.startswith("streams-")]
    return [*processes, StreamsWorkers(workers), balancer(settings)]

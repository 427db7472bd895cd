"""The ordered set of components the cluster profile manages."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from topsongs_charts.lake_accounts import CATALOG
from topsongs_core.settings import PostgresSettings, S3Settings

from topsongs_devstack.apps import AppService
from topsongs_devstack.cluster import observability
from topsongs_devstack.cluster.kafka import KafkaNode
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.cluster.spark import SparkWorker
from topsongs_devstack.component import Component, InBackground, SideBySide
from topsongs_devstack.objectstore import ObjectStore, lake_accounts
from topsongs_devstack.postgres import Postgres
from topsongs_devstack.services.catalog import SongCatalog
from topsongs_devstack.services.migrations import Migrations
from topsongs_devstack.stack import pick

# Start order: Kafka, PostgreSQL and S3, Spark, the services and their balancer, Airflow, the exporters,
# the lag monitor and Prometheus.
# Each module exposes one factory.
PARTS = (
    ("kafka", "nodes"),
    ("stack", "engines"),
    ("spark", "components"),
    ("apps", "components"),
    ("airflow", "components"),
    ("observability", "components"),
)


def engines(settings: ClusterSettings) -> list[Component]:
    """PostgreSQL (with dashboard-api's read-only role), the S3 store (sending StatsD to the profile's
    exporter when it runs), the chart schema and the song catalog the hourly ETL enriches with (which
    `make demo` uploads on the single-node profile)."""
    devstack = settings.devstack()
    pg_env = {"PG_HOST": settings.postgres_host, "PG_PORT": str(settings.postgres_port)}
    s3 = S3Settings(endpoint_url=f"http://{settings.s3_host}:{settings.s3_port}")
    return [
        Postgres(devstack, PostgresSettings(host=settings.postgres_host, port=settings.postgres_port)),
        ObjectStore(devstack, s3, statsd=observability.statsd(settings)),
        Migrations(devstack, env=pg_env),
        SongCatalog(s3, key_env=lake_accounts(devstack, s3).env(CATALOG)),
    ]


def _factory(module: str, name: str) -> Callable[[ClusterSettings], list[Component]] | None:
    qualified = f"topsongs_devstack.cluster.{module}"
    try:
        module_object = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise  # the part exists but something it imports is missing: say so
        return None  # a part not written yet
    found: Callable[[ClusterSettings], list[Component]] = getattr(module_object, name)
    return found


def parts(settings: ClusterSettings) -> dict[str, list[Component]]:
    """Each part's components in start order, by part (module) name."""
    found = {module: _factory(module, name) for module, name in PARTS}
    return {module: build(settings) for module, build in found.items() if build is not None}


def components(settings: ClusterSettings | None = None) -> list[Component]:
    """Every part's components, in start order."""
    return [c for part in parts(settings or ClusterSettings()).values() for c in part]


# Components of these kinds need nothing of their numbered siblings to start (``kafka-1``..``kafka-3``,
# ``ingest-1``/``ingest-2``, ...): a Kafka node waits only for its own controller listener (the quorum
# forms once all are up, which the cluster component waits for), a Spark worker registers with the
# master on its own, a service process is health-checked on its own address.
PEERS = (KafkaNode, SparkWorker, AppService)


def waves(settings: ClusterSettings) -> list[list[list[Component]]]:
    """The profile in three waves of independent chains, each wave once the one before is up.

    1. The Kafka quorum beside PostgreSQL, S3, the schema and the catalog. Airflow (redis, then its
       database migration and processes, the slowest start of all) needs only PostgreSQL: it starts
       right after it, in the background (``InBackground``). The StatsD exporter starts before the
       S3 store, which sends it metrics only if it is up.
    2. Spark and the services (each needs the brokers) side by side, the PostgreSQL exporter and the
       lag monitor beside them, and the wait for Airflow.
    3. Prometheus, whose first scrapes then find every service.

    Same order within a part, numbered siblings side by side (``chain``); stopped in reverse.
    """
    by_part = parts(settings)
    postgres, *storage = by_part["stack"]
    redis, airflow = by_part["airflow"]
    statsd, postgres_exporter, lag_monitor, prometheus = by_part["observability"]
    early = InBackground(airflow)
    return [
        [chain(by_part["kafka"]), [postgres, redis, early, statsd, *storage]],
        [
            chain(by_part["spark"]),
            chain(by_part["apps"]),
            [early.joined()],
            [postgres_exporter],
            [lag_monitor],
        ],
        [[prometheus]],
    ]


def _sibling_of(component: Component) -> str | None:
    """``kafka`` for ``kafka-2`` (a ``PEERS`` kind numbered by its name), else None."""
    stem, _, number = component.name.rpartition("-")
    return stem if isinstance(component, PEERS) and number.isdigit() else None


def chain(part: list[Component]) -> list[Component]:
    """A part's components in order, adjacent numbered siblings (``kafka-1``..``kafka-3``) as one
    step that starts and stops them side by side."""
    groups: list[list[Component]] = []
    for component in part:
        stem = _sibling_of(component)
        if stem is not None and groups and _sibling_of(groups[-1][0]) == stem:
            groups[-1].append(component)
        else:
            groups.append([component])
    return [
        group[0] if len(group) == 1 else SideBySide("+".join(c.name for c in group), group)
        for group in groups
    ]


def select(names: list[str] | None, settings: ClusterSettings | None = None) -> list[Component]:
    """The named components (all when ``names`` is empty), in start order."""
    return pick(components(settings), names)

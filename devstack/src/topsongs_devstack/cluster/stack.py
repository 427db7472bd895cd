"""The ordered set of components the cluster profile manages."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from topsongs_core.settings import PostgresSettings, S3Settings

from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.component import Component
from topsongs_devstack.objectstore import ObjectStore
from topsongs_devstack.postgres import Postgres
from topsongs_devstack.services.catalog import SongCatalog
from topsongs_devstack.services.migrations import Migrations
from topsongs_devstack.stack import pick

# Start order: Kafka, PostgreSQL and S3, Spark, the services and their balancer, Airflow, Prometheus.
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
    """PostgreSQL (with dashboard-api's read-only role), the S3 store, the chart schema and the song
    catalog the hourly ETL enriches with (which `make demo` uploads on the single-node profile)."""
    devstack = settings.devstack()
    pg_env = {"PG_HOST": settings.postgres_host, "PG_PORT": str(settings.postgres_port)}
    s3 = S3Settings(endpoint_url=f"http://{settings.s3_host}:{settings.s3_port}")
    return [
        Postgres(devstack, PostgresSettings(host=settings.postgres_host, port=settings.postgres_port)),
        ObjectStore(devstack, s3),
        Migrations(devstack, env=pg_env),
        SongCatalog(s3),
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


def waves(settings: ClusterSettings) -> list[list[list[Component]]]:
    """The parts in three waves of independent chains: Kafka beside PostgreSQL and S3, then Spark, the
    services and Airflow side by side (each needs only the first wave), then Prometheus, whose first
    scrapes then find every service. Same order within a part."""
    by_part = parts(settings)
    first, second, third = ("kafka", "stack"), ("spark", "apps", "airflow"), ("observability",)
    return [[by_part[p] for p in wave if p in by_part] for wave in (first, second, third)]


def select(names: list[str] | None, settings: ClusterSettings | None = None) -> list[Component]:
    """The named components (all when ``names`` is empty), in start order."""
    return pick(components(settings), names)

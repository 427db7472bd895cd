"""The ordered set of components `devstack` manages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from topsongs_charts.lake_accounts import AIRFLOW, CATALOG, LAKE, MONITOR
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings

from topsongs_devstack.apps import ingest_service
from topsongs_devstack.component import Component, side_by_side
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.history_cache import dashboard_env as history_env
from topsongs_devstack.history_cache import history_cache
from topsongs_devstack.kafka import Kafka
from topsongs_devstack.objectstore import ObjectStore, lake_accounts
from topsongs_devstack.postgres import Postgres
from topsongs_devstack.prometheus import Prometheus
from topsongs_devstack.services import (
    airflow,
    dashboard,
    exporters,
    migrations,
    monitor,
    signin,
    spark,
    streams,
)
from topsongs_devstack.services.catalog import SongCatalog

ENGINES = ("kafka", "postgres", "s3")


def components(settings: DevstackSettings | None = None) -> list[Component]:
    """Engines first, then services, in start order. Each client of the lake gets an S3 key of its
    own (topsongs_devstack.lake_accounts); the store's root key stays with the store and devstack."""
    settings = settings or DevstackSettings()
    accounts = lake_accounts(settings)
    statsd = exporters.statsd(settings)
    cache = history_cache(settings)
    dashboard_env = history_env(cache)
    sign_in: list[Component] = []
    if settings.oidc:
        origins = [f"http://{host}:{settings.dashboard_port}" for host in ("127.0.0.1", "localhost")]
        dex = signin.service(settings, origins)
        sign_in = [dex]
        dashboard_env |= signin.dashboard_env(dex)
    return [
        Kafka(settings, KafkaSettings(), metrics_port=settings.kafka_metrics_port),
        Postgres(settings, PostgresSettings()),
        statsd,
        ObjectStore(settings, S3Settings(), statsd=statsd),
        cache,
        migrations.service(settings),
        SongCatalog(S3Settings(), key_env=accounts.env(CATALOG)),
        ingest_service(settings),
        streams.service(settings, metrics=("127.0.0.1", settings.streams_metrics_port)),
        spark.service(settings, env=accounts.env(LAKE)),
        *sign_in,
        dashboard.service(settings, env=dashboard_env),
        airflow.service(settings, env=accounts.env(AIRFLOW)),
        monitor.service(settings, env=accounts.env(MONITOR)),
        exporters.postgres(settings, PostgresSettings()),
        Prometheus(settings),
    ]


def select(names: list[str] | None, settings: DevstackSettings | None = None) -> list[Component]:
    """The named components (all when ``names`` is empty), in start order."""
    return pick(components(settings), names)


def pick(every: list[Component], names: list[str] | None) -> list[Component]:
    """The components of ``every`` that ``names`` names (all when empty), in their order."""
    if not names:
        return every
    known = {c.name for c in every}
    unknown = set(names) - known
    if unknown:
        raise SystemExit(f"unknown component(s) {sorted(unknown)}; known: {sorted(known)}")
    return [c for c in every if c.name in names]


@contextmanager
def running(parts: Sequence[Component]) -> Iterator[None]:
    """The components up in order for the block, then down in reverse order, also on failure."""
    try:
        for part in parts:
            part.up()
        yield
    finally:
        for part in reversed(parts):
            part.down()


@contextmanager
def running_in_waves(waves: Sequence[Sequence[Sequence[Component]]]) -> Iterator[None]:
    """Like ``running``, faster: each wave's chains start side by side (a chain's components in
    order), a wave once the one before it is up; at the end the waves go down in reverse, each
    one's chains side by side (a chain in reverse order), also on failure."""
    try:
        up_in_waves(waves)
        yield
    finally:
        down_in_waves(waves)


def up_in_waves(waves: Sequence[Sequence[Sequence[Component]]]) -> None:
    """Each wave's chains side by side (a chain's components in order), a wave once the one before
    it is up; the first failure stops the start."""
    for wave in waves:
        side_by_side(_up_in_order, wave)


def down_in_waves(waves: Sequence[Sequence[Sequence[Component]]]) -> None:
    """The waves in reverse, each one's chains side by side (a chain in reverse order)."""
    for wave in reversed(waves):
        side_by_side(_down_in_reverse, wave)


def _up_in_order(chain: Sequence[Component]) -> None:
    for part in chain:
        part.up()


def _down_in_reverse(chain: Sequence[Component]) -> None:
    for part in reversed(chain):
        part.down()

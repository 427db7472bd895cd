"""Prometheus for the cluster profile, scraping every service process and replica that is up, and the
single-node profile's exporters and lag monitor, each on an address of the profile's own."""

from __future__ import annotations

from topsongs_charts.lake_accounts import MONITOR as MONITOR_ACCOUNT
from topsongs_core.settings import PostgresSettings

from topsongs_devstack.apps import AppService
from topsongs_devstack.cluster.settings import ClusterSettings, service_kafka_env
from topsongs_devstack.component import Component
from topsongs_devstack.deployment.programs import MONITOR
from topsongs_devstack.objectstore import lake_accounts
from topsongs_devstack.prometheus import Prometheus
from topsongs_devstack.services import exporters, monitor
from topsongs_devstack.services.exporters import StatsdExporter


def statsd(settings: ClusterSettings) -> StatsdExporter:
    """statsd_exporter on its own address: the S3 store and Airflow's processes send it StatsD."""
    return exporters.statsd(settings.devstack(), host=settings.statsd_host)


def postgres_exporter(settings: ClusterSettings) -> AppService:
    """prometheus-postgres-exporter beside the PostgreSQL node, on the node's address."""
    pg = PostgresSettings(host=settings.postgres_host, port=settings.postgres_port)
    return exporters.postgres(settings.devstack(), pg, host=settings.postgres_host)


def lag_monitor(settings: ClusterSettings) -> AppService:
    """The lag monitor as Kafka user `monitor` (read-only ACLs), reading the profile's S3 store (the
    lake job's checkpoint) and PostgreSQL (the charts' freshness); the live group is the workers' app id."""
    env = {
        **service_kafka_env(settings, MONITOR.kafka_user),
        "PG_HOST": settings.postgres_host,
        "PG_PORT": str(settings.postgres_port),
        "S3_ENDPOINT_URL": f"http://{settings.s3_host}:{settings.s3_port}",
        **lake_accounts(settings.devstack()).env(MONITOR_ACCOUNT),
        "STREAMS_APP_ID": settings.streams_app_id,
    }
    return monitor.service(settings.devstack(), host=settings.monitor_host, env=env)


def components(settings: ClusterSettings) -> list[Component]:
    """The exporters and the lag monitor, then one server on its own address; each process writes its
    target file into the profile's state when it is up, as on the single-node profile."""
    return [
        statsd(settings),
        postgres_exporter(settings),
        lag_monitor(settings),
        Prometheus(settings.devstack(), host=settings.prometheus_host),
    ]

"""Every compose service in file order, grouped under the headings compose.yaml shows."""

from __future__ import annotations

from dataclasses import replace

from topsongs_devstack.deployment import batch, cluster, cluster_apps, single
from topsongs_devstack.deployment.model import Service


def sections() -> list[tuple[str, list[Service]]]:
    """(heading, services) in file order; the cluster profile's services carry profile `cluster`."""
    clustered = [
        *cluster.kafka(),
        *cluster.stores(),
        *cluster.spark(),
        *cluster_apps.apps(),
        *cluster_apps.streams(),
        *cluster_apps.airflow(),
    ]
    return [
        ("engines and their init steps", single.engines()),
        ("services", single.services()),
        ("batch: chart tables, Airflow", batch.airflow()),
        (
            "what `make demo` shows: the catalog, a day of past plays, a live load\n"
            "docker compose --profile demo up -d --wait",
            batch.demo(),
        ),
        (
            'profile cluster (docs/cluster.md, "In Docker"): every name starts with cluster-\n'
            "docker compose --profile cluster up -d --build",
            [replace(s, profiles=("cluster",)) for s in clustered],
        ),
    ]


def services() -> list[Service]:
    """Every service, in file order."""
    return [service for _, group in sections() for service in group]

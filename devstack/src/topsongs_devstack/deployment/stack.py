"""Every compose service in file order, grouped under the headings compose.yaml shows."""

from __future__ import annotations

from dataclasses import replace

from topsongs_devstack.deployment import batch, cluster, cluster_apps, observability, single
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
        observability.prometheus(cluster=True),
    ]
    return [
        ("engines and their init steps", single.engines()),
        ("services", single.services()),
        ("batch: chart tables, Airflow", batch.airflow()),
        (
            "observability (docs/observability.md): Prometheus, the lag monitor; Grafana in profile grafana\n"
            "docker compose --profile grafana up -d",
            observability.services(),
        ),
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


def check(every: list[Service]) -> None:
    """Refuse a declaration compose would run wrongly: a wait on an unknown service, on the health of a
    one-shot or the completion of a long-running one, or across the cluster profile's border."""
    by_name = {s.name: s for s in every}
    if len(by_name) != len(every):
        raise ValueError("two services share a name")
    for service in every:
        clustered = "cluster" in service.profiles
        for name, condition in service.depends_on.items():
            other = by_name.get(name)
            if other is None:
                raise ValueError(f"{service.name} waits for {name}, which is not declared")
            wanted = "service_completed_successfully" if other.one_shot else "service_healthy"
            if condition != wanted:
                raise ValueError(f"{service.name} waits for {name} with {condition}; it needs {wanted}")
            if ("cluster" in other.profiles) != clustered:
                raise ValueError(f"{service.name} waits for {name} across the cluster profile's border")

"""Prometheus for the cluster profile, scraping every service process and replica that is up."""

from __future__ import annotations

from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.component import Component
from topsongs_devstack.prometheus import Prometheus


def components(settings: ClusterSettings) -> list[Component]:
    """One server on its own address; each ingest, dashboard-api and streams process writes its
    target file into the profile's state when it is up, as on the single-node profile."""
    return [Prometheus(settings.devstack(), host=settings.prometheus_host)]

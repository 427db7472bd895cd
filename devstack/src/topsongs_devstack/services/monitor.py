"""The lag monitor: consumer lag of the live worker and the lake job, as Prometheus metrics."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.deployment.programs import MONITOR


def service(
    settings: DevstackSettings, *, host: str = "127.0.0.1", env: Mapping[str, str] | None = None
) -> AppService:
    """`python -m topsongs_charts.monitor` on host:DEVSTACK_MONITOR_PORT, healthy when it answers;
    ``env`` (the engines' settings elsewhere than their defaults; on the single node, the lake's
    read-only S3 key) is added to its environment."""
    address = f"{host}:{settings.monitor_port}"
    return AppService(
        "monitor",
        MONITOR.argv([sys.executable]),
        f"http://{address}/metrics",
        settings.monitor_port,
        settings,
        env={**(env or {}), "CHARTS_MONITOR_HOST": host, "CHARTS_MONITOR_PORT": str(settings.monitor_port)},
        host=host,
        scrape=address,
    )

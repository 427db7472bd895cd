"""The lag monitor: consumer lag of the live worker and the lake job, as Prometheus metrics."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings


def service(settings: DevstackSettings, env: Mapping[str, str] | None = None) -> AppService:
    """`python -m topsongs_charts.monitor` on 127.0.0.1:DEVSTACK_MONITOR_PORT, healthy when it answers;
    ``env`` is added to its environment (devstack gives it the lake's read-only S3 key)."""
    address = f"127.0.0.1:{settings.monitor_port}"
    return AppService(
        "monitor",
        [sys.executable, "-m", "topsongs_charts.monitor"],
        f"http://{address}/metrics",
        settings.monitor_port,
        settings,
        env={
            "CHARTS_MONITOR_HOST": "127.0.0.1",
            "CHARTS_MONITOR_PORT": str(settings.monitor_port),
            **(env or {}),
        },
        scrape=address,
    )

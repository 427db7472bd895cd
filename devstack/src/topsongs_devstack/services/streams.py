"""The Faust live-chart worker, run in the background by `make up` (healthy while it runs)."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.deployment.programs import STREAMS, streams_args


def service(
    settings: DevstackSettings,
    *,
    name: str = "streams",
    env: Mapping[str, str] | None = None,
    metrics: tuple[str, int] | None = None,
) -> AppService:
    """One `python -m streams worker` with its data dir `<state_dir>/<name>`; its table state is
    rebuilt from changelogs on start. Workers sharing STREAMS_APP_ID share the partitions.

    With ``metrics`` (host, port) it serves Prometheus metrics there and is healthy when they answer;
    without, healthy while it runs.
    """
    data_dir = settings.state_dir / name
    health_url, port, endpoint = None, None, "faust worker (python -m streams)"
    if metrics is not None:
        host, port = metrics
        env = {**(env or {}), "STREAMS_METRICS_HOST": host, "STREAMS_METRICS_PORT": str(port)}
        health_url = endpoint = f"http://{host}:{port}{STREAMS.health_path}"
    return AppService(
        name,
        STREAMS.argv([sys.executable], *streams_args(str(data_dir))),
        health_url,
        port,
        settings,
        endpoint=endpoint,
        env=env,
        host=metrics[0] if metrics else "127.0.0.1",
        scrape=f"{metrics[0]}:{metrics[1]}" if metrics else None,
    )

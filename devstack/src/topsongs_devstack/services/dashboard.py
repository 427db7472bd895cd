"""dashboard-api under uvicorn: live charts, REST history and the built UI."""

from __future__ import annotations

from collections.abc import Mapping

from topsongs_devstack.apps import AppService, uvicorn_service
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.deployment.programs import DASHBOARD
from topsongs_devstack.prometheus import Prometheus


def service(
    settings: DevstackSettings,
    *,
    name: str = "dashboard-api",
    host: str = "127.0.0.1",
    port: int | None = None,
    workers: int | None = None,
    env: Mapping[str, str] | None = None,
) -> AppService:
    """uvicorn with DEVSTACK_DASHBOARD_WORKERS processes (DASHBOARD_ALLOWED_ORIGINS must list the
    port the browser uses). Each process reads the whole live topic and keeps its own board; its
    pipeline page reads devstack's Prometheus (or DEVSTACK_PROMETHEUS_URL's)."""
    prometheus = Prometheus(settings).url
    return uvicorn_service(
        name,
        DASHBOARD,
        settings.dashboard_port if port is None else port,
        settings,
        workers=settings.dashboard_workers if workers is None else workers,
        host=host,
        env={"DASHBOARD_PROMETHEUS_URL": prometheus, **(env or {})},
    )

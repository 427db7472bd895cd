"""dashboard-api under uvicorn: live charts, REST history and the built UI."""

from __future__ import annotations

from topsongs_devstack.apps import AppService, uvicorn_service
from topsongs_devstack.config import DevstackSettings


def service(settings: DevstackSettings) -> AppService:
    """uvicorn with DEVSTACK_DASHBOARD_WORKERS processes (DASHBOARD_ALLOWED_ORIGINS must list the
    port the browser uses). Each process reads the whole live topic and keeps its own board."""
    return uvicorn_service(
        "dashboard",
        "dashboard_api.app:create_app",
        settings.dashboard_port,
        settings,
        workers=settings.dashboard_workers,
        websocket_fanout=True,
    )

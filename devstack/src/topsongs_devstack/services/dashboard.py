"""dashboard-api under uvicorn: live charts, REST history and the built UI."""

from __future__ import annotations

from topsongs_devstack.apps import AppService, uvicorn_service
from topsongs_devstack.config import DevstackSettings


def service(settings: DevstackSettings) -> AppService:
    """One uvicorn process (DASHBOARD_ALLOWED_ORIGINS must list the port the browser uses)."""
    return uvicorn_service(
        "dashboard", "dashboard_api.app:create_app", settings.dashboard_port, settings, websocket_fanout=True
    )

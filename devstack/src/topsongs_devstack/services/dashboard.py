"""dashboard-api under uvicorn: live charts, REST history and the built UI."""

from __future__ import annotations

import sys

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings


def service(settings: DevstackSettings) -> AppService:
    """One uvicorn process running the app factory (DASHBOARD_ALLOWED_ORIGINS must match the port)."""
    port = settings.dashboard_port
    return AppService(
        "dashboard",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dashboard_api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        f"http://127.0.0.1:{port}/healthz",
        port,
        settings,
        endpoint=f"http://127.0.0.1:{port}/",
    )

"""Serving a repository app under a real uvicorn server inside the test's event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from dashboard_api.app import create_app
from dashboard_api.settings import DashboardSettings


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve_dashboard(settings: DashboardSettings) -> AsyncIterator[str]:
    """dashboard-api (full lifespan) on ``settings.port``; yields ``127.0.0.1:PORT`` once it listens."""
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=settings.port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "dashboard-api did not start"
    try:
        yield f"127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        await task

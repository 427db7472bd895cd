"""Serving the repository's apps under a real uvicorn server inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import uvicorn
from dashboard_api.app import create_app
from dashboard_api.serving import websocket_options
from dashboard_api.settings import DashboardSettings
from ingest.app import create_app as create_ingest
from ingest.settings import IngestSettings
from topsongs_devstack.deployment.programs import HTTP_PROTOCOL
from topsongs_devstack.process import free_port
from uvicorn._types import ASGIApplication


@asynccontextmanager
async def serve(app: ASGIApplication, port: int, **options: Any) -> AsyncIterator[str]:
    """Run ``app`` (full lifespan) on ``port`` as deployed (its HTTP protocol) with uvicorn ``options``;
    yields ``127.0.0.1:PORT``."""
    config = uvicorn.Config(app, port=port, log_level="warning", http=HTTP_PROTOCOL, **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "the app did not start"
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await _stopped(server, task)


# How long an app may take to stop (close its connections, run its lifespan's shutdown).
STOP_S = 60.0


async def _stopped(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Wait for ``server`` to stop; one that hangs fails the test with every task's stack (it once
    hung a CI run until the test's timeout, which showed nothing but an idle event loop)."""
    try:
        await asyncio.wait_for(asyncio.shield(task), STOP_S)
        return
    except TimeoutError:
        stacks = io.StringIO()
        for other in asyncio.all_tasks():
            print(f"--- {other!r}", file=stacks)
            other.print_stack(limit=25, file=stacks)
    server.force_exit = True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(task, 10)
    tasks = stacks.getvalue()
    raise AssertionError(f"the app did not stop within {STOP_S:.0f} s; the event loop's tasks:\n{tasks}")


def serve_dashboard(settings: DashboardSettings) -> AbstractAsyncContextManager[str]:
    """dashboard-api on ``settings.port``, served as devstack serves it."""
    return serve(create_app(settings), settings.port, **websocket_options(settings))


@asynccontextmanager
async def serve_ingest(settings: IngestSettings) -> AsyncIterator[str]:
    """ingest on a free port; yields its base URL."""
    async with serve(create_ingest(settings), free_port()) as address:
        yield f"http://{address}"

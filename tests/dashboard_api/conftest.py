"""dashboard-api served as in production, for the history and reconciliation tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from dashboard_api.settings import DashboardSettings
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.process import free_port

from tests.servers import serve_dashboard


@pytest.fixture
async def api(
    kafka_settings: KafkaSettings, pg_settings: PostgresSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """dashboard-api under uvicorn on a free port (full lifespan), and a client for it."""
    settings = DashboardSettings(port=free_port(), kafka=kafka_settings, postgres=pg_settings)
    async with (
        serve_dashboard(settings) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as client,
    ):
        yield client

"""Live against batch per region and hour: `lifespan(settings, pool)` yielding the reconciler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from dashboard_api.reconciliation.drift import Reconciler
from dashboard_api.reconciliation.live_hours import LiveHours
from dashboard_api.settings import DashboardSettings

__all__ = ["lifespan"]


@asynccontextmanager
async def lifespan(settings: DashboardSettings, pool: asyncpg.Pool) -> AsyncIterator[dict[str, object]]:
    """Follow the live-hours topic and refresh the drift gauges for the app's lifetime."""
    async with LiveHours(settings) as live, Reconciler(settings, pool, live) as reconciler:
        yield {"reconciler": reconciler}

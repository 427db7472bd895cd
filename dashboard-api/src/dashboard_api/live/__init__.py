"""The live part of dashboard-api: `router` and `lifespan(settings)` (an async context manager yielding state)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter

from dashboard_api.settings import DashboardSettings

router = APIRouter()


@asynccontextmanager
async def lifespan(settings: DashboardSettings) -> AsyncIterator[dict[str, object]]:
    """Open what this feature needs for the app's lifetime; yields lifespan state entries."""
    yield {}

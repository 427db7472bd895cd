"""The live part of dashboard-api: `router` and `lifespan(settings)` yielding the board and hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dashboard_api.live.board import LiveBoard
from dashboard_api.live.feed import LiveFeed
from dashboard_api.live.hub import FanoutHub
from dashboard_api.live.routes import router
from dashboard_api.settings import DashboardSettings

__all__ = ["lifespan", "router"]


@asynccontextmanager
async def lifespan(settings: DashboardSettings) -> AsyncIterator[dict[str, object]]:
    """Consume the live topic for the app's lifetime; yields the board and the hub as state."""
    async with FanoutHub(settings.live_client_queue, settings.live_heartbeat_s) as hub:
        board = LiveBoard(
            settings.contract.regions, settings.live_windows, settings.live_top_n, hub, settings.live_rate_hz
        )
        async with LiveFeed(settings, board):
            yield {"live_board": board, "live_hub": hub}

"""The live part of dashboard-api: `lifespan(settings)` yielding the board, the hub and the feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dashboard_api.live.board import LiveBoard
from dashboard_api.live.feed import OFFLINE, LiveFeed
from dashboard_api.live.hub import FanoutHub
from dashboard_api.live.latency import PushLatency
from dashboard_api.settings import DashboardSettings

__all__ = ["lifespan"]


@asynccontextmanager
async def lifespan(settings: DashboardSettings) -> AsyncIterator[dict[str, object]]:
    """Follow the live topic for the app's lifetime (in the background: Kafka may be down)."""
    async with FanoutHub(
        settings.live_client_queue,
        settings.live_heartbeat_s,
        settings.live_max_clients,
        settings.live_max_clients_per_host,
    ) as hub:
        latency = PushLatency(settings.metrics_multiproc_dir)
        board = LiveBoard(
            settings.contract.regions,
            settings.live.window_names,
            settings.live.top_n,
            hub,
            min(settings.live_rate_hz, settings.live_max_rate_hz),
            latency,
        )

        def close_clients_when_offline(online: bool) -> None:
            # Clients would otherwise see heartbeats over a chart that no longer moves.
            if not online:
                for subs in hub.subscribers.values():
                    for sub in subs:
                        sub.close(OFFLINE)

        try:
            async with LiveFeed(settings, board, on_change=close_clients_when_offline) as feed:
                # A short wait, so a healthy broker serves the first clients; a down one delays nothing more.
                await feed.consumer.wait_online(settings.live_connect_wait_s)
                yield {"live_board": board, "live_hub": hub, "live_feed": feed}
        finally:
            latency.close()

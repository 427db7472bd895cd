"""How uvicorn serves dashboard-api: the WebSocket options every deployment passes, from the settings."""

from __future__ import annotations

from typing import Any

from dashboard_api.settings import DashboardSettings

PROTOCOL = "dashboard_api.live.protocol:CutOffWebSocketProtocol"


def websocket_options(settings: DashboardSettings) -> dict[str, Any]:
    """``uvicorn.Config`` keyword arguments of the /ws/live transport.

    No per-message deflate: one update sent to thousands of clients would be compressed once per
    client (docs/live-charts.md). Clients send nothing the server acts on, so inbound frames are
    small; a client that misses a pong (one that stopped reading) is cut off.
    """
    return {
        "ws": PROTOCOL,
        "ws_per_message_deflate": False,
        "ws_max_size": settings.live_max_frame_bytes,
        "ws_ping_interval": settings.live_ping_interval_s,
        "ws_ping_timeout": settings.live_ping_timeout_s,
    }


def websocket_flags(settings: DashboardSettings) -> list[str]:
    """The same options as ``uvicorn`` command-line flags."""
    flags: list[str] = []
    for name, value in websocket_options(settings).items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        flags += [f"--{name.replace('_', '-')}", text]
    return flags

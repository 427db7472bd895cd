"""``GET /ws/live`` (snapshot, then gap-free updates and heartbeats) and ``GET /api/live``."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, HTTPException, Request, WebSocket
from starlette.websockets import WebSocketDisconnect

from dashboard_api.live.board import LiveBoard
from dashboard_api.live.hub import TOO_SLOW, FanoutHub, Subscription, encode
from dashboard_api.settings import DashboardSettings

router = APIRouter(tags=["live"])

BAD_PARAMS = 4400
BAD_ORIGIN = 4403
GONE = 1001


def _param_error(
    settings: DashboardSettings, region: str | None, window: str | None
) -> tuple[str, str] | None:
    """``(param, message)`` for the first bad query parameter, or None."""
    if region not in settings.contract.regions:
        return "region", f"region must be one of {','.join(settings.contract.regions)}"
    if window not in settings.live_windows:
        return "window", f"window must be one of {','.join(settings.live_windows)}"
    return None


@router.get("/api/live")
async def live_snapshot(
    request: Request, region: str | None = None, window: str | None = None
) -> dict[str, Any]:
    """The current snapshot of one (region, window) chart."""
    settings: DashboardSettings = request.state.settings
    error = _param_error(settings, region, window)
    if error:
        raise HTTPException(422, [{"loc": ["query", error[0]], "msg": error[1], "type": "value_error"}])
    board: LiveBoard = request.state.live_board
    return board.snapshot(region, window)  # type: ignore[arg-type]


@router.websocket("/ws/live")
async def live_socket(websocket: WebSocket) -> None:
    """Stream one chart: a snapshot, then updates whose ``seq`` grows by exactly 1, and heartbeats."""
    settings: DashboardSettings = websocket.state.settings
    origin = websocket.headers.get("origin")
    region, window = websocket.query_params.get("region"), websocket.query_params.get("window")
    await websocket.accept()
    if origin is not None and origin not in settings.allowed_origins:
        await websocket.close(BAD_ORIGIN, "origin not allowed")
        return
    error = _param_error(settings, region, window)
    if error:
        await websocket.close(BAD_PARAMS, f"{error[0]}: {error[1]}"[:120])
        return
    hub: FanoutHub = websocket.state.live_hub
    board: LiveBoard = websocket.state.live_board
    sub = hub.subscribe((region, window))
    snapshot = board.snapshot(region, window)  # type: ignore[arg-type]
    reader = asyncio.create_task(_read_until_gone(websocket, sub))
    try:
        await websocket.send_text(encode(snapshot))
        # One await per message and client, on this connection's own task: the hub only queues.
        while (message := await sub.next()) is not None:
            await websocket.send_text(message)
        if sub.close_code == TOO_SLOW:
            await websocket.close(TOO_SLOW, "client too slow; reconnect for a fresh snapshot")
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)
        reader.cancel()


async def _read_until_gone(websocket: WebSocket, sub: Subscription) -> None:
    """Ends the subscription when the client disconnects (clients send nothing we act on)."""
    with contextlib.suppress(WebSocketDisconnect):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    sub.close(GONE)

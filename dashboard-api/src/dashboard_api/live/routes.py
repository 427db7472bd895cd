"""``GET /ws/live`` (a snapshot, then gap-free updates at the asked rate) and ``GET /api/live``."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect
from topsongs_core.live import LiveSnapshot

from dashboard_api.auth import SOCKET_PROTOCOL, SignedIn, socket_user
from dashboard_api.choices import Region, Window, bad_choice
from dashboard_api.deps import Board, Feed, Hub, Settings
from dashboard_api.errors import LIVE_OFFLINE, SIGN_IN, VALIDATION, LiveOffline
from dashboard_api.live.board import MIN_RATE_HZ, rate_class
from dashboard_api.live.feed import OFFLINE
from dashboard_api.live.hub import TOO_SLOW, Subscription, TooManyClients, encode
from dashboard_api.settings import DashboardSettings

router = APIRouter(tags=["live"])

BAD_PARAMS = 4400
BAD_ORIGIN = 4403
# As HTTP's 401 in the 4000 range: no valid token, or it expired while the socket was open.
SIGN_IN_REQUIRED = 4401
GONE = 1001
TRY_LATER = 1013
OFFLINE_REASON = "live feed offline; retry later"


@router.get(
    "/api/live",
    response_model=LiveSnapshot,
    dependencies=[SignedIn],
    responses={**SIGN_IN, 422: VALIDATION, 503: {"model": LiveOffline, "description": LIVE_OFFLINE}},
)
async def live_snapshot(board: Board, feed: Feed, region: Region, window: Window) -> Any:
    """The current snapshot of one (region, window) chart, as the WebSocket's first message."""
    if not feed.online:
        return JSONResponse(
            LiveOffline(detail=OFFLINE_REASON).model_dump(), status_code=503, headers={"Retry-After": "5"}
        )
    return board.snapshot(region, window)


def served_rate(asked: str | None, settings: DashboardSettings) -> float | str:
    """The rate class serving a client that asked for ``asked`` updates/s, or why it is refused."""
    cap, default = settings.live_max_rate_hz, settings.live_rate_hz
    if asked is None:
        return min(default, cap)
    try:
        rate = float(asked)
    except ValueError:
        rate = math.nan
    if not MIN_RATE_HZ <= rate <= cap:  # NaN and infinities fail too
        return f"rate: updates per second, a number from {MIN_RATE_HZ:g} to {cap:g}"
    return rate_class(rate, cap, default)


@router.websocket("/ws/live")
async def live_socket(websocket: WebSocket, settings: Settings, hub: Hub, board: Board, feed: Feed) -> None:
    """Stream one chart: a snapshot, then updates whose ``seq`` grows by exactly 1, and heartbeats.

    ``rate`` (updates/s, up to ``DASHBOARD_LIVE_MAX_RATE_HZ``; default ``DASHBOARD_LIVE_RATE_HZ``)
    is served at the fastest rate class not above it.
    """
    origin = websocket.headers.get("origin")
    region, window = websocket.query_params.get("region"), websocket.query_params.get("window")
    rate = served_rate(websocket.query_params.get("rate"), settings)
    user, refused = await socket_user(websocket)
    await websocket.accept(SOCKET_PROTOCOL if SOCKET_PROTOCOL in websocket.scope["subprotocols"] else None)
    if origin is not None and origin not in settings.allowed_origins:
        await websocket.close(BAD_ORIGIN, "origin not allowed")
        return
    if refused is not None:
        await websocket.close(SIGN_IN_REQUIRED, refused[:120])
        return
    error = bad_choice(settings, region=region, window=window)
    if error:
        await websocket.close(BAD_PARAMS, f"{error[0]}: {error[1]}"[:120])
        return
    if isinstance(rate, str):
        await websocket.close(BAD_PARAMS, rate[:120])
        return
    if not feed.online:
        await websocket.close(OFFLINE, OFFLINE_REASON)
        return
    # No await between joining the outlet and subscribing: the first update is the snapshot's seq + 1.
    key, snapshot = board.join(region, window, rate)  # type: ignore[arg-type]
    try:
        sub = hub.subscribe(key, websocket.client.host if websocket.client else "")
    except TooManyClients as refused:
        await websocket.close(TRY_LATER, str(refused))
        return
    reader = asyncio.create_task(_read_until_gone(websocket, sub))
    # The token was checked once, at the start: the socket ends when it expires, and the client
    # reconnects with a fresh one.
    expiry = None
    if user is not None:
        expiry = asyncio.get_running_loop().call_later(
            max(user.expires_at - time.time(), 0), sub.close, SIGN_IN_REQUIRED
        )
    try:
        await websocket.send_text(encode(snapshot))
        # One await per message and client, on this connection's own task: the hub only queues.
        while (message := await sub.next()) is not None:
            await websocket.send_text(message)
        if sub.close_code == TOO_SLOW:
            await websocket.close(TOO_SLOW, "client too slow; reconnect for a fresh snapshot")
        elif sub.close_code == OFFLINE:
            await websocket.close(OFFLINE, OFFLINE_REASON)
        elif sub.close_code == SIGN_IN_REQUIRED:
            await websocket.close(SIGN_IN_REQUIRED, "the token has expired; sign in again")
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)
        reader.cancel()
        if expiry is not None:
            expiry.cancel()


async def _read_until_gone(websocket: WebSocket, sub: Subscription) -> None:
    """Ends the subscription when the client disconnects (clients send nothing we act on)."""
    with contextlib.suppress(WebSocketDisconnect):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    sub.close(GONE)

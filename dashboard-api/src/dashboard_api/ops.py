"""``GET /healthz`` and ``GET /readyz``: history (PostgreSQL) and live (Kafka) reported apart."""

from __future__ import annotations

import asyncio
from typing import Literal

import asyncpg
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from dashboard_api.deps import Feed, Pool, Reconciler

router = APIRouter(tags=["ops"])
READY_TIMEOUT_S = 1.0


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """Each part on its own: history serves whatever Kafka does, the live part reconnects by itself."""

    history: Literal["ready", "unavailable"]
    live: Literal["online", "offline"]
    reconciliation_live: Literal["available", "unavailable"]


@router.get("/healthz")
async def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={
        503: {"model": Readiness, "description": "PostgreSQL does not answer: history is unavailable"}
    },
)
async def readyz(pool: Pool, feed: Feed, reconciler: Reconciler) -> JSONResponse:
    """200 while PostgreSQL answers (history serves), whatever Kafka does; the body tells each part."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            await pool.fetchval("SELECT 1")
        history: Literal["ready", "unavailable"] = "ready"
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        history = "unavailable"
    body = Readiness(
        history=history,
        live="online" if feed.online else "offline",
        reconciliation_live="available" if reconciler.live.available else "unavailable",
    )
    return JSONResponse(body.model_dump(), status_code=200 if history == "ready" else 503)

"""``GET /api/reconciliation`` (live against batch per hour) and ``GET /metrics``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dashboard_api.history.params import Day, Region
from dashboard_api.reconciliation.compare import drift
from dashboard_api.reconciliation.drift import Reconciler
from dashboard_api.reconciliation.models import Reconciliation

router = APIRouter(tags=["reconciliation"])


@router.get("/api/reconciliation", response_model=Reconciliation)
async def reconciliation(
    request: Request,
    response: Response,
    region: Region,
    day: Day,
) -> dict[str, Any]:
    """Live against batch per hour of one region and UTC day: agree, explained, unexplained or pending."""
    reconciler: Reconciler = request.state.reconciler
    start = datetime.combine(day, time(), UTC)
    hours = (await reconciler.hours([region], start, start + timedelta(days=1)))[region]
    response.headers["Cache-Control"] = "no-cache"  # late drops and reloads can still change it
    return {"region": region, "date": day, "unexplained": drift(hours)[0], "hours": hours}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process (the reconciliation drift gauges)."""
    reconciler: Reconciler = request.state.reconciler
    return Response(generate_latest(reconciler.registry), media_type=CONTENT_TYPE_LATEST)

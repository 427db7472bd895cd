"""``GET /api/reconciliation`` (live against batch per hour) and ``GET /metrics``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest, multiprocess

from dashboard_api.auth import Operator
from dashboard_api.choices import Region
from dashboard_api.deps import Board, Cache, Reconciler
from dashboard_api.errors import OPERATOR, VALIDATION
from dashboard_api.history.params import Day
from dashboard_api.reconciliation.compare import drift
from dashboard_api.reconciliation.models import Reconciliation

router = APIRouter(tags=["reconciliation"])
# The text format every Prometheus server scrapes (1.0.0 is newer than some scrapers).
METRICS_TYPE = "text/plain; version=0.0.4"


@router.get(
    "/api/reconciliation",
    response_model=Reconciliation,
    dependencies=[Operator],
    responses={**OPERATOR, 422: VALIDATION},
)
async def reconciliation(
    reconciler: Reconciler,
    response: Response,
    region: Region,
    day: Day,
) -> dict[str, Any]:
    """Live against batch per hour of one region and UTC day: agree, explained, unexplained or pending.

    ``live`` says ``unavailable`` while the live-hours topic cannot be read (Kafka down, or not read
    to its end yet): hours whose live finals were not read before are ``pending``."""
    start = datetime.combine(day, time(), UTC)
    hours = (await reconciler.hours([region], start, start + timedelta(days=1)))[region]
    response.headers["Cache-Control"] = "no-cache"  # late drops and reloads can still change it
    return {
        "region": region,
        "date": day,
        "live": "available" if reconciler.live.available else "unavailable",
        "unexplained": drift(hours)[0],
        "hours": hours,
    }


@router.get(
    "/metrics",
    tags=["ops"],
    response_class=Response,
    responses={
        200: {"content": {METRICS_TYPE: {"schema": {"type": "string"}}}, "description": "Prometheus text"}
    },
)
async def metrics(reconciler: Reconciler, cache: Cache, board: Board) -> Response:
    """Prometheus metrics: the reconciliation drift gauges, the history cache's counters and the live
    push latency, every worker's merged when several share a multiprocess folder."""
    if reconciler.settings.metrics_multiproc_dir is not None:
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=str(reconciler.settings.metrics_multiproc_dir))
        return Response(generate_latest(merged), media_type=CONTENT_TYPE_PLAIN_0_0_4)
    registries = (reconciler.registry, cache.registry, board.latency.registry)
    body = b"".join(generate_latest(registry) for registry in registries)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)

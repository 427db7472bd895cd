"""``GET /api/pipeline`` (the flow's stages and alerts) and ``GET /api/pipeline/series``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from dashboard_api.deps import Pipeline as Overview
from dashboard_api.errors import VALIDATION, invalid
from dashboard_api.pipeline.models import Pipeline, Series
from dashboard_api.pipeline.queries import QUERIES

router = APIRouter(prefix="/api/pipeline", tags=["pipeline"])

SeriesName = Annotated[
    str,
    Query(
        description="One of the allow-listed queries (a stage's `series`); PromQL is never accepted",
        json_schema_extra={"enum": sorted(QUERIES)},
    ),
]


@router.get("", response_model=Pipeline)
async def pipeline(overview: Overview, response: Response) -> Pipeline:
    """Each stage's rate, lag, freshness and health, and the alerts pending or firing, from Prometheus.

    When Prometheus does not answer, ``prometheus.status`` is ``down`` (``detail`` says why) and every
    stage's health is ``unknown``."""
    response.headers["Cache-Control"] = "no-cache"
    return await overview.pipeline()


@router.get("/series", response_model=Series, responses={422: VALIDATION})
async def series(overview: Overview, response: Response, name: SeriesName) -> Series:
    """One allow-listed query over the last 15 minutes (a point every 15 s)."""
    if name not in QUERIES:
        raise invalid("name", f"not an allow-listed query; one of {', '.join(sorted(QUERIES))}", name)
    response.headers["Cache-Control"] = "no-cache"
    return await overview.series(name)

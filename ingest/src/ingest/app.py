"""The ingest service: `POST /play(s)` → Kafka, with health, readiness and metrics."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import multiprocess

from ingest.api_keys import KeyRing
from ingest.metrics import exposition, switch_off
from ingest.openapi import METRICS_CONTENT_TYPE, Readiness, publish_contract
from ingest.publisher import PlayPublisher
from ingest.rate_limit import ClientLimits
from ingest.routes import NotAcknowledged, play_routes
from ingest.settings import IngestSettings


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    """App factory; nothing connects until the lifespan starts."""
    settings = settings or IngestSettings()
    if not settings.metrics:
        switch_off()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        fixed = {"default": settings.api_key.get_secret_value()} if settings.api_key is not None else {}
        api_keys = KeyRing(settings.api_keys_file, fixed)  # a malformed file stops the start here
        async with PlayPublisher(settings) as publisher:
            limits = ClientLimits(settings.rate_limit_events_per_s, settings.rate_limit_burst)
            yield {"settings": settings, "publisher": publisher, "api_keys": api_keys, "limits": limits}
        if settings.metrics_multiproc_dir is not None:
            # Its live gauges leave the sum; its counters stay, as the total they are.
            multiprocess.mark_process_dead(os.getpid(), str(settings.metrics_multiproc_dir))

    app = FastAPI(
        title="Top Songs ingest",
        version="1.0.0",
        summary="Where plays enter: POST /play and POST /plays answer 202 once Kafka acknowledged them.",
        lifespan=lifespan,
    )
    app.include_router(play_routes(settings))
    publish_contract(app, settings)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _jsonable(exc.errors())})

    @app.exception_handler(NotAcknowledged)
    async def _unacknowledged(request: Request, exc: NotAcknowledged) -> JSONResponse:
        return exc.response()

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Kafka did not answer within 1 s"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        """Ready when the Kafka broker answers a metadata request within 1 s."""
        ok = await request.state.publisher.ready()
        return JSONResponse({"kafka": "ok" if ok else "unreachable"}, status_code=200 if ok else 503)

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format 0.0.4",
                "content": {METRICS_CONTENT_TYPE: {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics() -> Response:
        """Prometheus exposition."""
        return Response(exposition(settings.metrics_multiproc_dir), media_type=METRICS_CONTENT_TYPE)

    return app


def _jsonable(errors: Any) -> Any:
    """Pydantic error dicts can hold exceptions in ``ctx``; keep what a client needs."""
    return [
        {
            k: (str(v) if k == "input" and not isinstance(v, str | int | float | None) else v)
            for k, v in err.items()
            if k in ("type", "loc", "msg", "input")
        }
        for err in errors
    ]

"""The ingest service: `POST /play(s)` → Kafka, with health, readiness and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from topsongs_core.events import PlayEvent

from ingest.publisher import PlayPublisher
from ingest.routes import router
from ingest.settings import IngestSettings


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    """App factory; nothing connects until the lifespan starts."""
    settings = settings or IngestSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with PlayPublisher(settings) as publisher:
            yield {"settings": settings, "publisher": publisher}

    app = FastAPI(
        title="Top Songs ingest",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _jsonable(exc.errors())})

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz(request: Request) -> JSONResponse:
        """Ready when the Kafka broker answers."""
        ok = await request.state.publisher.ready()
        return JSONResponse({"kafka": "ok" if ok else "unreachable"}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"])
    async def metrics() -> Response:
        """Prometheus exposition."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original_openapi()
            defs = PlayEvent.model_json_schema(ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {})["PlayEvent"] = defs
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
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

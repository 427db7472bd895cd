"""dashboard-api: live charts over WebSocket, history over REST, and the built UI at `/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from dashboard_api import auth, history, live, ops, pipeline, reconciliation
from dashboard_api.auth import Operator, SignedIn
from dashboard_api.auth import routes as auth_routes
from dashboard_api.choices import CHOICES
from dashboard_api.deps import AppState
from dashboard_api.errors import OPERATOR, SIGN_IN
from dashboard_api.headers import SecurityHeaders
from dashboard_api.history import routes as history_routes
from dashboard_api.history.reader import HistoryBusy
from dashboard_api.live import routes as live_routes
from dashboard_api.pipeline import routes as pipeline_routes
from dashboard_api.reconciliation import routes as reconciliation_routes
from dashboard_api.settings import DashboardSettings


def create_app(settings: DashboardSettings | None = None) -> FastAPI:
    """App factory: each feature contributes a router and a lifespan part."""
    settings = settings or DashboardSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[AppState]:
        async with AsyncExitStack() as stack:
            state: dict[str, Any] = {"settings": settings}
            state.update(await stack.enter_async_context(auth.lifespan(settings)))
            state.update(await stack.enter_async_context(live.lifespan(settings)))
            state.update(await stack.enter_async_context(history.lifespan(settings)))
            pool = state["history_pool"]
            state.update(await stack.enter_async_context(reconciliation.lifespan(settings, pool)))
            state.update(await stack.enter_async_context(pipeline.lifespan(settings)))
            yield cast(AppState, state)

    # The docs routes are added below, behind the operator check like the other operator routes.
    app = FastAPI(
        title="Top Songs dashboard API",
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(SecurityHeaders, connect_sources=_origins(settings.oidc_issuer))
    # With sign-in on (docs/security.md): charts need a signed-in user, operator routes the operator
    # role; /healthz, /metrics (Prometheus scrapes it on loopback) and /api/auth/config stay open.
    app.include_router(ops.router)
    app.include_router(auth_routes.router)
    app.include_router(live_routes.router)
    app.include_router(history_routes.router, dependencies=[SignedIn], responses=SIGN_IN)
    app.include_router(reconciliation_routes.router)
    app.include_router(pipeline_routes.router, dependencies=[Operator], responses=OPERATOR)

    @app.exception_handler(HistoryBusy)
    async def _busy(request: Request, exc: HistoryBusy) -> JSONResponse:
        detail = "history is busy (no PostgreSQL session free in time, or the query ran too long)"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "1"})

    _document_choices(app, settings)
    _serve_docs(app)
    if settings.ui_dist.is_dir():
        app.mount("/", StaticFiles(directory=settings.ui_dist, html=True), name="ui")
    return app


def _origins(*urls: str) -> tuple[str, ...]:
    """The scheme://host:port of each non-empty URL."""
    return tuple(f"{part.scheme}://{part.netloc}" for url in urls if url for part in [urlsplit(url)])


def _serve_docs(app: FastAPI) -> None:
    """/openapi.json, /docs and /redoc as FastAPI serves them, for operators only."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Operator])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Operator])
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - Swagger UI")

    @app.get("/redoc", include_in_schema=False, dependencies=[Operator])
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - ReDoc")


def _document_choices(app: FastAPI, settings: DashboardSettings) -> None:
    """The OpenAPI document lists the regions and windows this deployment's settings allow.

    The routers are built once per process, before any settings exist, so the enums are filled in
    here; the dependencies that check them read the same settings.
    """
    choices = {name: list(allowed(settings)) for name, allowed in CHOICES.items()}
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema["paths"].values():
                for operation in operations.values():
                    for param in operation.get("parameters", []):
                        if param["in"] == "query" and param["name"] in choices:
                            param["schema"]["enum"] = choices[param["name"]]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""dashboard-api: live charts over WebSocket, history over REST, and the built UI at `/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dashboard_api import history, live, reconciliation
from dashboard_api.settings import DashboardSettings


def create_app(settings: DashboardSettings | None = None) -> FastAPI:
    """App factory: each feature contributes a router and a lifespan part."""
    settings = settings or DashboardSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
        async with AsyncExitStack() as stack:
            state: dict[str, object] = {"settings": settings}
            state.update(await stack.enter_async_context(live.lifespan(settings)))
            state.update(await stack.enter_async_context(history.lifespan(settings)))
            pool = state["history_pool"]
            state.update(await stack.enter_async_context(reconciliation.lifespan(settings, pool)))
            yield state

    app = FastAPI(title="Top Songs dashboard API", version="1.0.0", lifespan=lifespan)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(live.router)
    app.include_router(history.router)
    app.include_router(reconciliation.router)
    if settings.ui_dist.is_dir():
        app.mount("/", StaticFiles(directory=settings.ui_dist, html=True), name="ui")
    return app

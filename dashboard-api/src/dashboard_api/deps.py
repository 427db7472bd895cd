"""What the lifespan opened, reached by routes through typed ``Annotated`` dependencies only."""

from __future__ import annotations

from typing import Annotated, TypedDict

import asyncpg
from fastapi import Depends
from starlette.requests import HTTPConnection

from dashboard_api.history.cache import ChartCache
from dashboard_api.history.reader import Reader
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.feed import LiveFeed
from dashboard_api.live.hub import FanoutHub
from dashboard_api.pipeline.overview import PipelineOverview
from dashboard_api.reconciliation import drift
from dashboard_api.settings import DashboardSettings


class AppState(TypedDict):
    """The lifespan state: one key per resource, each behind one dependency below."""

    settings: DashboardSettings
    live_board: LiveBoard
    live_hub: FanoutHub
    live_feed: LiveFeed
    history_pool: asyncpg.Pool
    history_cache: ChartCache
    history_reader: Reader
    reconciler: drift.Reconciler
    pipeline: PipelineOverview


# HTTPConnection, not Request: the WebSocket route takes the same dependencies. Async, so FastAPI
# runs them inline instead of sending each to its thread pool.
async def get_settings(conn: HTTPConnection) -> DashboardSettings:
    """The settings the app was created with."""
    return conn.state.settings


async def get_board(conn: HTTPConnection) -> LiveBoard:
    """The live board (latest snapshot per region and window)."""
    return conn.state.live_board


async def get_hub(conn: HTTPConnection) -> FanoutHub:
    """The fan-out hub of the WebSocket clients."""
    return conn.state.live_hub


async def get_feed(conn: HTTPConnection) -> LiveFeed:
    """The live topic's consumer (whether it is online)."""
    return conn.state.live_feed


async def get_pool(conn: HTTPConnection) -> asyncpg.Pool:
    """The read-only PostgreSQL pool."""
    return conn.state.history_pool


async def get_cache(conn: HTTPConnection) -> ChartCache:
    """The chart cache (this process's, then the shared one)."""
    return conn.state.history_cache


async def get_charts(conn: HTTPConnection) -> Reader:
    """Chart reads through the cache (one dependency: each costs every request of the history)."""
    return conn.state.history_reader


async def get_reconciler(conn: HTTPConnection) -> drift.Reconciler:
    """Live against batch, and the drift gauges."""
    return conn.state.reconciler


async def get_pipeline(conn: HTTPConnection) -> PipelineOverview:
    """The pipeline's stages and alerts, read from Prometheus."""
    return conn.state.pipeline


Settings = Annotated[DashboardSettings, Depends(get_settings)]
Board = Annotated[LiveBoard, Depends(get_board)]
Hub = Annotated[FanoutHub, Depends(get_hub)]
Feed = Annotated[LiveFeed, Depends(get_feed)]
Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Cache = Annotated[ChartCache, Depends(get_cache)]
Charts = Annotated[Reader, Depends(get_charts)]
Reconciler = Annotated[drift.Reconciler, Depends(get_reconciler)]
Pipeline = Annotated[PipelineOverview, Depends(get_pipeline)]

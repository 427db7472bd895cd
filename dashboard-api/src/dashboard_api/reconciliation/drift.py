"""Reconciled hours over a range, and the unexplained-drift gauges refreshed from them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Gauge
from topsongs_core.timefmt import iso_z

from dashboard_api.reconciliation import queries
from dashboard_api.reconciliation.compare import drift, reconcile
from dashboard_api.reconciliation.live_hours import LiveHours
from dashboard_api.settings import DashboardSettings

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)


def iso_hour(hour: datetime) -> str:
    """The hour as the worker writes it in its keys and records."""
    return iso_z(hour, "seconds")


class Reconciler:
    """Compares live finals with batch loads; owns the drift gauges and the task that refreshes them."""

    def __init__(self, settings: DashboardSettings, pool: asyncpg.Pool, live: LiveHours) -> None:
        self.settings, self.pool, self.live = settings, pool, live
        self.registry = CollectorRegistry()
        self.unexplained_plays = Gauge(
            "topsongs_reconciliation_unexplained_plays",
            "Plays live and batch differ by beyond the live side's late drops, over the trailing window",
            ["region"],
            registry=self.registry,
            # Every worker computes the same figure: several workers show the newest, not one per pid.
            multiprocess_mode="mostrecent",
        )
        self.unexplained_hours = Gauge(
            "topsongs_reconciliation_unexplained_hours",
            "Hours of the trailing window whose live and batch charts disagree without explanation",
            ["region"],
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.task: asyncio.Task[None] | None = None

    async def hours(
        self, regions: list[str], start: datetime, end: datetime
    ) -> dict[str, list[dict[str, Any]]]:
        """Per region, every hour in ``[start, end)`` reconciled."""
        batch = await queries.batch_hours(self.pool, regions, start, end, self.settings.live.top_n)
        span = [start + i * HOUR for i in range((end - start) // HOUR)]
        return {
            region: [
                reconcile(hour, self.live.final(region, iso_hour(hour)), batch.get((region, hour)))
                for hour in span
            ]
            for region in regions
        }

    async def refresh_drift(self, now: datetime) -> None:
        """Set the gauges from the ``reconciliation_window_hours`` whole hours before ``now``."""
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - self.settings.reconciliation_window_hours * HOUR
        for region, hours in (await self.hours(list(self.settings.contract.regions), start, end)).items():
            plays, judged = drift(hours)
            self.unexplained_plays.labels(region).set(plays)
            self.unexplained_hours.labels(region).set(judged)

    async def start(self) -> None:
        """Refresh the gauges every ``reconciliation_interval_s``."""
        self.task = asyncio.create_task(self._refresh())

    async def stop(self) -> None:
        """Stop refreshing."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def __aenter__(self) -> Reconciler:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _refresh(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.reconciliation_interval_s):
                    await self.live.caught_up.wait()
            try:
                await self.refresh_drift(datetime.fromtimestamp(time.time(), UTC))
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("reconciliation drift not refreshed: %r", exc)
            await asyncio.sleep(self.settings.reconciliation_interval_s)

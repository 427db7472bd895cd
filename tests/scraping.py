"""A real Prometheus (Debian's, through devstack's component) scraping targets a test names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from topsongs_devstack.apps import write_targets
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.process import free_port
from topsongs_devstack.prometheus import Prometheus


def private_prometheus(state_dir: Path) -> Prometheus:
    """A Prometheus on a free port with its data under ``state_dir`` (not started yet)."""
    return Prometheus(DevstackSettings(state_dir=state_dir, prometheus_port=free_port()))


@asynccontextmanager
async def scraping(prometheus: Prometheus, targets: Mapping[str, Sequence[str]]) -> AsyncIterator[Prometheus]:
    """``prometheus`` running and scraping ``{job: [host:port, ...]}``; stopped on exit.

    Started in a thread: its start waits for the first scrapes, which need the test's event loop
    (where the scraped apps run) to keep serving."""
    for job, addresses in targets.items():
        write_targets(prometheus.settings, job, addresses)
    await asyncio.to_thread(prometheus.up)
    try:
        yield prometheus
    finally:
        await asyncio.to_thread(prometheus.down)


def dead_address() -> str:
    """An address nothing listens on: a stage whose process is not running."""
    return f"127.0.0.1:{free_port()}"

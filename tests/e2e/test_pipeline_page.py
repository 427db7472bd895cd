"""The pipeline page in Chromium, at desktop and phone width, over a real Prometheus scraping a real
ingest and the lag monitor: stages with their numbers and freshness rows, and a stage whose process is
gone marked down."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.process import free_port

from tests.e2e.conftest import ARTIFACTS, PHONE, serve_dashboard
from tests.ingest.support import play
from tests.scraping import dead_address, private_prometheus, scraping
from tests.servers import serve_ingest


async def ingest_figures(client: httpx.AsyncClient) -> tuple[float, float | None]:
    """The ingest stage's rate (0 while Prometheus has none yet) and its newest play's age as
    /api/pipeline reports them."""
    body: dict[str, Any] = (await client.get("/api/pipeline")).json()
    ingest = next(s for s in body["stages"] if s["id"] == "ingest")
    return ingest["rate"] or 0.0, ingest["freshness"][0]["newest_seconds"]


@contextlib.contextmanager
def lag_monitor(kafka: KafkaSettings, tmp_path: Path) -> Iterator[str]:
    """`python -m topsongs_charts.monitor` on the test's topics, every second; yields its address.
    No live worker or lake job runs: their freshness has nothing to show."""
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "KAFKA_DASHBOARD_GROUP": kafka.dashboard_group,
        "STREAMS_APP_ID": f"e2e-{uuid.uuid4().hex[:8]}",
        "LAKE_CHECKPOINT_LOCATION": f"_checkpoints/e2e-{uuid.uuid4().hex[:8]}",
        "CHARTS_MONITOR_HOST": "127.0.0.1",
        "CHARTS_MONITOR_PORT": str(port),
        "CHARTS_MONITOR_INTERVAL_S": "1",
    }
    with (tmp_path / "monitor.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "topsongs_charts.monitor"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield f"127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def keep_playing(ingest: str) -> None:
    """Two plays a second, so ingest's rate stays above 0 while the browser looks."""
    async with httpx.AsyncClient(base_url=ingest) as client:
        while True:
            answer = await client.post("/plays", json={"events": [play(), play()]})
            assert answer.status_code == 202, answer.text
            await asyncio.sleep(1)


async def test_pipeline_page_shows_stages_and_a_stopped_one(
    kafka_settings: KafkaSettings, tmp_path: Path, browser_check: Any
) -> None:
    prometheus = private_prometheus(tmp_path)
    settings = DashboardSettings(kafka=kafka_settings, prometheus_url=prometheus.url)
    async with serve_ingest(IngestSettings(kafka=kafka_settings)) as ingest, serve_dashboard(settings) as url:
        with lag_monitor(kafka_settings, tmp_path) as monitor:
            targets = {
                "ingest": [ingest.removeprefix("http://")],
                "streams": [dead_address()],
                "monitor": [monitor],
            }
            async with scraping(prometheus, targets), httpx.AsyncClient(base_url=url) as api:
                await check_page(api, ingest, url, browser_check)


async def check_page(api: httpx.AsyncClient, ingest: str, url: str, browser_check: Any) -> None:
    """Under a steady trickle of plays, once the API has a rate and ingest's freshness to show, the
    page at both widths."""
    feeder = asyncio.create_task(keep_playing(ingest))
    try:
        # Two scrapes make a rate; the page is checked once the API has one and a freshness to show.
        for _ in range(90):
            rate, newest = await ingest_figures(api)
            if rate > 0 and newest is not None:
                break
            await asyncio.sleep(1)
        assert not feeder.done(), feeder
        desktop = await browser_check("pipeline-page.mjs", url, "live", str(ARTIFACTS / "pipeline.png"))
        assert desktop.returncode == 0, desktop.stdout
        phone = await browser_check(
            "pipeline-page.mjs", url, "live", str(ARTIFACTS / "pipeline-phone.png"), viewport=PHONE
        )
        assert phone.returncode == 0, phone.stdout
    finally:
        feeder.cancel()

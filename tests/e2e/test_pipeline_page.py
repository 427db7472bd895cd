"""The pipeline page in Chromium, at desktop and phone width, over a real Prometheus scraping a real
ingest: stages with their numbers, and a stage whose process is gone marked down."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from topsongs_core.settings import KafkaSettings

from tests.e2e.conftest import ARTIFACTS, PHONE, serve_dashboard
from tests.ingest.support import play
from tests.scraping import dead_address, private_prometheus, scraping
from tests.servers import serve_ingest


async def ingest_rate(client: httpx.AsyncClient) -> float:
    """The ingest stage's rate as /api/pipeline reports it (0 while Prometheus has none yet)."""
    body: dict[str, Any] = (await client.get("/api/pipeline")).json()
    return next(s["rate"] or 0.0 for s in body["stages"] if s["id"] == "ingest")


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
        targets = {"ingest": [ingest.removeprefix("http://")], "streams": [dead_address()]}
        async with scraping(prometheus, targets), httpx.AsyncClient(base_url=url) as api:
            feeder = asyncio.create_task(keep_playing(ingest))
            try:
                # Two scrapes make a rate; the page is checked once the API has one to show.
                for _ in range(60):
                    if await ingest_rate(api) > 0:
                        break
                    await asyncio.sleep(1)
                assert not feeder.done(), feeder
                desktop = await browser_check(
                    "pipeline-page.mjs", url, "live", str(ARTIFACTS / "pipeline.png")
                )
                assert desktop.returncode == 0, desktop.stdout
                phone = await browser_check(
                    "pipeline-page.mjs", url, "live", str(ARTIFACTS / "pipeline-phone.png"), viewport=PHONE
                )
                assert phone.returncode == 0, phone.stdout
            finally:
                feeder.cancel()

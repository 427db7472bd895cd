"""``/api/pipeline`` against a real Prometheus scraping a real ingest: figures, freshness and health
per stage, a stage whose target is gone shows as down, and a stopped Prometheus gives the clear
`down` state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from prometheus_client import CollectorRegistry, Gauge, start_http_server
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.process import free_port
from topsongs_devstack.prometheus import Prometheus

from tests.ingest.support import play
from tests.scraping import dead_address, private_prometheus, scraping
from tests.servers import serve_dashboard, serve_ingest


@pytest.fixture
def prometheus(tmp_path: Path) -> Prometheus:
    """A private Prometheus (not started yet) on a free port with its own state folder."""
    return private_prometheus(tmp_path)


@pytest.fixture
async def api(
    prometheus: Prometheus, kafka_settings: KafkaSettings, pg_settings: PostgresSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """dashboard-api reading that Prometheus, without caching, so each read sees the newest scrape."""
    settings = DashboardSettings(
        port=free_port(),
        kafka=kafka_settings,
        postgres=pg_settings,
        prometheus_url=prometheus.url,
        pipeline_cache_s=0,
    )
    async with (
        serve_dashboard(settings) as address,
        httpx.AsyncClient(base_url=f"http://{address}") as client,
    ):
        yield client


async def poll(api: httpx.AsyncClient, done: Any, what: str) -> dict[str, Any]:
    """``GET /api/pipeline`` until ``done(body)``; fails naming ``what`` and the last body."""
    for _ in range(60):
        body = (await api.get("/api/pipeline")).json()
        if done(body):
            return body
        await asyncio.sleep(1)
    pytest.fail(f"{what}: {body}")


def stages(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {stage["id"]: stage for stage in body["stages"]}


async def test_stages_from_prometheus_and_the_down_states(
    prometheus: Prometheus, api: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    # The lag monitor's freshness series as it exports them: plays arrive, the hourly chart is an
    # hour old and was loaded 10 minutes ago (tests/charts/test_monitor.py measures them for real).
    registry = CollectorRegistry()
    newest = Gauge("topsongs_freshness_newest_timestamp_seconds", "", ["stage"], registry=registry)
    success = Gauge("topsongs_freshness_last_success_timestamp_seconds", "", ["stage"], registry=registry)
    now = time.time()
    for stage, at, loaded in (("ingest", now - 2, now - 2), ("hourly", now - 3600, now - 600)):
        newest.labels(stage).set(at)
        success.labels(stage).set(loaded)
    monitor_port = free_port()
    server, thread = start_http_server(monitor_port, addr="127.0.0.1", registry=registry)
    async with serve_ingest(IngestSettings(kafka=kafka_settings)) as ingest:
        # The live worker is not running: its target answers nothing.
        targets = {
            "ingest": [ingest.removeprefix("http://")],
            "streams": [dead_address()],
            "monitor": [f"127.0.0.1:{monitor_port}"],
        }
        async with scraping(prometheus, targets):
            async with httpx.AsyncClient(base_url=ingest) as client:
                sent = await client.post("/plays", json={"events": [play(), play()]})
            assert sent.status_code == 202, sent.text
            body = await poll(
                api,
                lambda b: (stages(b)["ingest"]["rate"] or 0) > 0 and stages(b)["live"]["health"] != "unknown",
                "ingest's rate and the live worker's health",
            )
            assert body["prometheus"] == {"status": "up", "detail": None}
            ingest_stage, live = stages(body)["ingest"], stages(body)["live"]
            assert ingest_stage["health"] == "up" and ingest_stage["rate_unit"] == "plays/s"
            assert live["health"] == "down"
            # Nothing scrapes Kafka or PostgreSQL here: not monitored, not down.
            assert stages(body)["kafka"]["health"] == "unknown"
            assert stages(body)["postgres"]["rate"] is None
            # Event-time freshness per stage, from the monitor's series; none measured for the live worker.
            body = await poll(
                api, lambda b: stages(b)["airflow"]["freshness"][0]["newest_seconds"], "the monitor's series"
            )
            [fresh_ingest] = stages(body)["ingest"]["freshness"]
            assert fresh_ingest["stage"] == "ingest" and 2 <= fresh_ingest["newest_seconds"] < 300
            hourly, daily = stages(body)["airflow"]["freshness"]
            assert (hourly["stage"], daily["stage"]) == ("hourly", "daily")
            assert 3600 <= hourly["newest_seconds"] < 3900 and 600 <= hourly["last_success_seconds"] < 900
            assert daily["newest_seconds"] is None
            assert stages(body)["live"]["freshness"] == [
                {"stage": "live", "newest_seconds": None, "last_success_seconds": None}
            ]

            series = (await api.get("/api/pipeline/series", params={"name": "ingest_rate"})).json()
            assert series["prometheus"]["status"] == "up" and series["step_seconds"] == 15
            assert any(value > 0 for _, value in series["points"]), series

            refused = await api.get("/api/pipeline/series", params={"name": "up"})
            assert refused.status_code == 422
            assert refused.json()["detail"][0]["loc"] == ["query", "name"]

            # `devstack down` removes a stopped component's target: down, not "not monitored".
            (prometheus.settings.targets_dir / "ingest.json").unlink()
            await poll(api, lambda b: stages(b)["ingest"]["health"] == "down", "ingest's removed target")

    server.shutdown()
    thread.join()
    down = (await api.get("/api/pipeline")).json()
    assert down["prometheus"]["status"] == "down"
    assert prometheus.url in down["prometheus"]["detail"]
    assert {stage["health"] for stage in down["stages"]} == {"unknown"}
    assert (await api.get("/api/pipeline/series", params={"name": "live_lag_seconds"})).json()["points"] == []

"""INGEST_METRICS=false: ingest counts nothing and works as before (what `bench instrumentation` compares)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from topsongs_core.settings import KafkaSettings

from tests.ingest.support import end_offsets

REPO = Path(__file__).resolve().parents[2]
# Its own process: switching off lasts for the process, and the other tests count ingest's metrics.
SCRIPT = """
import asyncio
from ingest.settings import IngestSettings
from tests.ingest.support import play, serve

async def main() -> None:
    async for client in serve(IngestSettings(produce_timeout_s=10)):
        assert (await client.post("/play", json=play())).status_code == 202
        assert (await client.post("/play", json=play(region="QQ"))).status_code == 422
        print((await client.get("/metrics")).text)

asyncio.run(main())
"""


async def test_metrics_false_counts_nothing_and_still_publishes(kafka_settings: KafkaSettings) -> None:
    env = {
        **os.environ,
        "INGEST_METRICS": "false",
        "KAFKA_PLAYS_TOPIC": kafka_settings.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka_settings.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka_settings.live_topic,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    run = subprocess.run(  # noqa: ASYNC221 (one short child; the test has nothing else to do)
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # Registered at import, never counted: a 202 and a 422 leave them at zero, with no labelled child.
    assert "ingest_events_accepted_total 0.0" in run.stdout
    assert "ingest_produce_seconds_count 0.0" in run.stdout
    assert "ingest_requests_rejected_total{" not in run.stdout
    offsets = await end_offsets(kafka_settings)
    assert sum(offsets.values()) == 1, offsets

"""POST /plays → Kafka → Spark → S3 lake → ETL + rollups → PostgreSQL → REST and the history view."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from simulator.catalog import shipped_catalog
from simulator.lake import upload_catalog
from topsongs_charts.charts import run_daily_charts, run_hourly_charts
from topsongs_charts.etl import run_hourly_etl
from topsongs_charts.intervals import day_hours
from topsongs_charts.loads import delete_day
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import ContractSettings, KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.objectstore import s3_client
from topsongs_devstack.services.spark import spark_jars

from tests.e2e.conftest import ARTIFACTS, PHONE, serve_dashboard
from tests.ingest.support import serve

REGIONS = ("US", "GB", "BR")
HOURS = (9, 10, 13)


@pytest.fixture
def day(pg_settings: PostgresSettings) -> Iterator[date]:
    """A day of its own in the 1980s, so chart rows never meet anyone else's; purged afterwards."""
    chosen = date(1980, 1, 1) + timedelta(days=random.randrange(3650))
    delete_day(pg_settings, chosen)
    yield chosen
    delete_day(pg_settings, chosen)


@pytest.fixture
def prefix(s3_settings: S3Settings) -> Iterator[str]:
    """A private key prefix in the lake, deleted afterwards."""
    prefix = f"tests/e2e-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = s3_client(s3_settings)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3_settings.bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=s3_settings.bucket, Key=obj["Key"])


def _oracle(sent: list[dict[str, object]], region: str, hours: set[int]) -> list[tuple[str, int]]:
    seen = {e["event_id"]: e for e in sent}
    counts = Counter(
        str(e["song_id"])
        for e in seen.values()
        if e["region"] == region and datetime.fromisoformat(str(e["played_at"])).hour in hours
    )
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


async def _run_spark(kafka: KafkaSettings, s3: S3Settings, prefix: str) -> None:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "LAKE_JARS_DIR": str(spark_jars(DevstackSettings())),
        "LAKE_AVAILABLE_NOW": "true",
        "LAKE_UI_ENABLED": "false",
        "LAKE_PLAYS_PATH": f"{prefix}/raw",
        "LAKE_CHECKPOINT_LOCATION": f"s3a://{s3.bucket}/{prefix}/checkpoints",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "spark.job",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    assert proc.returncode == 0, out.decode()[-3000:]


async def test_posted_plays_settle_into_rest_history(
    kafka_settings: KafkaSettings,
    s3_settings: S3Settings,
    pg_settings: PostgresSettings,
    day: date,
    prefix: str,
    browser_check,
) -> None:
    catalog = shipped_catalog()
    songs = catalog.songs[:40]
    upload_catalog(catalog, s3_settings, key=f"{prefix}/catalog/songs.parquet")
    rng = random.Random(5)
    weights = [1 / (i + 1) for i in range(len(songs))]
    sent = []
    for _ in range(1500):
        song = rng.choices(songs, weights)[0]
        hour = rng.choice(HOURS)
        played = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=UTC)
        sent.append(
            {
                "event_id": str(uuid.uuid4()),
                "song_id": song.song_id,
                "title": song.title,
                "artist": song.artist,
                "user_id": f"u-{rng.randrange(300)}",
                "region": rng.choice(REGIONS),
                "played_at": played.isoformat(),
            }
        )

    # Far-past events are accepted only because this deployment widens the horizon.
    contract = ContractSettings(max_event_age=timedelta(days=365 * 60))
    async for client in serve(IngestSettings(kafka=kafka_settings, contract=contract)):
        for i in range(0, len(sent), 500):
            assert (await client.post("/plays", json={"events": sent[i : i + 500]})).status_code == 202
        retry = await client.post("/plays", json={"events": sent[:40]})  # duplicates in the lake
        assert retry.status_code == 202

    await _run_spark(kafka_settings, s3_settings, prefix)

    charts = ChartsSettings(
        lake=LakeLayout(plays_path=f"{prefix}/raw"),
        enriched_prefix=f"{prefix}/enriched",
        catalog_key=f"{prefix}/catalog/songs.parquet",
        s3=s3_settings,
        postgres=pg_settings,
    )
    for hour in day_hours(day):
        await asyncio.to_thread(run_hourly_etl, charts, hour)
        await asyncio.to_thread(run_hourly_charts, charts, hour)
    await asyncio.to_thread(run_daily_charts, charts, day)

    settings = DashboardSettings(kafka=kafka_settings, postgres=pg_settings)
    async with serve_dashboard(settings) as base, httpx.AsyncClient(base_url=base) as http:
        for region in REGIONS:
            daily = (await http.get("/api/top/daily", params={"region": region, "date": str(day)})).json()
            assert [(e["song_id"], e["plays"]) for e in daily["entries"]] == _oracle(sent, region, set(HOURS))
            for hour in HOURS:
                stamp = f"{day}T{hour:02d}:00Z"
                hourly = (await http.get("/api/top/hourly", params={"region": region, "hour": stamp})).json()
                assert [(e["song_id"], e["plays"]) for e in hourly["entries"]] == _oracle(
                    sent, region, {hour}
                )
        top_song = daily["entries"][0]
        trend = (
            await http.get(
                "/api/trend",
                params={
                    "region": REGIONS[-1],
                    "song_id": top_song["song_id"],
                    "from": f"{day}T00:00Z",
                    "to": f"{day + timedelta(days=1)}T00:00Z",
                },
            )
        ).json()
        expected = Counter(
            datetime.fromisoformat(str(e["played_at"])).hour
            for e in {e["event_id"]: e for e in sent}.values()
            if e["region"] == REGIONS[-1] and e["song_id"] == top_song["song_id"]
        )
        assert {p["hour"][11:13]: p["plays"] for p in trend["points"] if p["plays"]} == {
            f"{h:02d}": n for h, n in expected.items()
        }

        # at a desktop's width and a phone's: the whole chart on screen, nothing scrolls sideways
        for viewport, shot in ((None, "history-view.png"), (PHONE, "history-view-phone.png")):
            result = await browser_check(
                "history-view.mjs",
                base,
                REGIONS[-1],
                str(day),
                top_song["title"],
                str(ARTIFACTS / shot),
                viewport=viewport,
            )
            assert result.returncode == 0, result.stdout

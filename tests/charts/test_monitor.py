"""One round of the lag monitor sets the gauges Prometheus scrapes: lag of the live group, dashboard-api's
live feed and the lake, and each stage's freshness."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import REGISTRY
from topsongs_charts import monitor
from topsongs_charts.freshness import LiveTail
from topsongs_charts.lake_reader import LakeReader
from topsongs_charts.monitor import measure_once
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.live import PartitionCandidates
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings
from topsongs_core.timefmt import iso_z

from tests.dashboard_api.messages import us_5m


def counted(accepted: float) -> bytes:
    """A live-topic record of a worker that counted 3 plays, the newest accepted at ``accepted``."""
    part = PartitionCandidates(
        late_dropped=0, entries=[], plays=3, newest_accepted_at=iso_z(accepted), accepted_plays=3
    )
    return us_5m({"0": part})


def newest_loads(pg: PostgresSettings) -> dict[str, tuple[float, float]]:
    """Per kind, the newest complete interval's end and load time, as the database holds them."""
    with psycopg.connect(pg.dsn()) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (kind) kind, interval_end, loaded_at FROM chart_loads"
            " WHERE complete ORDER BY kind, interval_start DESC"
        ).fetchall()
    return {kind: (end.timestamp(), loaded.timestamp()) for kind, end, loaded in rows}


@pytest.fixture(autouse=True)
def _clear_monitor_metrics() -> Iterator[None]:
    """The monitor's gauges live in the process's default registry, which in-process servers of later
    tests (ingest's /metrics) export: leave them empty, as a process without the monitor has them."""
    yield
    for metric in (
        monitor.LAG_RECORDS,
        monitor.LAG_SECONDS,
        monitor.TOPIC_END,
        monitor.LAST_SUCCESS,
        monitor.ERRORS,
        monitor.FRESHNESS,
        monitor.NEWEST,
        monitor.STAGE_SUCCESS,
    ):
        metric.clear()


async def test_one_round_sets_lag_end_offsets_last_success_and_freshness(
    kafka_settings: KafkaSettings, s3_settings: S3Settings, pg_settings: PostgresSettings, test_day: date
) -> None:
    group = f"monitor-test-{uuid.uuid4().hex[:8]}"
    topic = kafka_settings.plays_topic
    newest_play = time.time() - 30
    async with AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all") as producer:
        for i in range(5):
            stamp = int((newest_play - 4 + i) * 1000)
            await producer.send_and_wait(topic, b"play", partition=0, timestamp_ms=stamp)
        # The live worker's records: the newest counted play is in the first, the second counted none.
        await producer.send_and_wait(kafka_settings.live_topic, counted(newest_play - 2), partition=0)
        await producer.send_and_wait(kafka_settings.live_topic, counted(newest_play - 9), partition=0)
    # A complete hour and day of the private test day, so each kind has a newest load.
    start = datetime.combine(test_day, clock(), UTC)
    with psycopg.connect(pg_settings.dsn()) as conn:
        for kind, length in (("hourly", timedelta(hours=1)), ("daily", timedelta(days=1))):
            conn.execute(
                "INSERT INTO chart_loads (kind, interval_start, interval_end, plays, regions, by_region)"
                " VALUES (%s, %s, %s, 0, 0, '{}')",
                (kind, start, start + length),
            )
    loaded = newest_loads(pg_settings)
    # No auto-commit: closing would commit the member's fetched position (5) over the 2 (seen once).
    async with AIOKafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers, group_id=group, enable_auto_commit=False
    ) as member:
        member.assign([TopicPartition(topic, 0)])
        await member.commit({TopicPartition(topic, 0): OffsetAndMetadata(2, "")})
    # dashboard-api's live feed has read the first of the worker's two records.
    async with AIOKafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=kafka_settings.dashboard_group,
        enable_auto_commit=False,
    ) as feed:
        feed.assign([TopicPartition(kafka_settings.live_topic, 0)])
        await feed.commit({TopicPartition(kafka_settings.live_topic, 0): OffsetAndMetadata(1, "")})
    # No lake job wrote this checkpoint: the lake has read nothing of the topic.
    settings = ChartsSettings(
        kafka=kafka_settings,
        s3=s3_settings,
        live_group=group,
        lake=LakeLayout(checkpoint_location=f"tests/monitor-{group}"),
        monitor_interval_s=5,
        postgres=pg_settings,
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    started = time.time()
    try:
        async with (
            AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=None) as reader,
            LakeReader.open(s3_settings) as lake,
        ):
            await measure_once(settings, admin, reader, lake, LiveTail(kafka_settings.live_topic))
    finally:
        await admin.close()

    def sample(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, labels)

    assert sample("topsongs_consumer_lag_records", consumer=group, topic=topic) == 3
    assert sample("topsongs_consumer_lag_records", consumer="lake", topic=topic) == 5
    api = {"consumer": "dashboard-api", "topic": kafka_settings.live_topic}
    assert sample("topsongs_consumer_lag_records", **api) == 1
    assert (sample("topsongs_consumer_lag_seconds", **api) or 0) > 0
    assert sample("topsongs_topic_end_offset", topic=topic) == 5
    assert sample("topsongs_topic_end_offset", topic=kafka_settings.dead_letter_topic) == 0
    for consumer in (group, "dashboard-api", "lake"):
        assert (sample("topsongs_monitor_last_success_timestamp_seconds", consumer=consumer) or 0) >= started
        assert sample("topsongs_monitor_errors_total", consumer=consumer) is None

    # Freshness: the newest accepted play (ingest), the newest one the live worker counted (live),
    # none in the lake (nothing committed), the newest complete hour and day with their load times.
    ingest = sample("topsongs_freshness_newest_timestamp_seconds", stage="ingest")
    assert ingest == pytest.approx(newest_play, abs=0.002)
    assert sample("topsongs_freshness_newest_timestamp_seconds", stage="live") == iso_seconds(newest_play - 2)
    assert sample("topsongs_freshness_newest_timestamp_seconds", stage="lake") is None
    assert 30 <= (sample("topsongs_freshness_seconds", stage="ingest") or 0) < 120
    for kind, (end, load) in loaded.items():
        assert sample("topsongs_freshness_newest_timestamp_seconds", stage=kind) == end
        assert sample("topsongs_freshness_last_success_timestamp_seconds", stage=kind) == load
    assert set(loaded) == {"hourly", "daily"}
    for stage in ("ingest", "live", "hourly", "daily"):
        assert sample("topsongs_monitor_errors_total", consumer=f"freshness:{stage}") is None


def iso_seconds(at: float) -> float:
    """``at`` as the live record carries it (milliseconds), back in epoch seconds."""
    return datetime.fromisoformat(iso_z(at)).timestamp()

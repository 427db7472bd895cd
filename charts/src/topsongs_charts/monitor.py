"""`python -m topsongs_charts.monitor`: the pipeline's consumer lag and freshness as Prometheus metrics.

Every CHARTS_MONITOR_INTERVAL_S it measures the live worker's consumer group (STREAMS_APP_ID) and the
lake job's checkpoint against the plays topic, dashboard-api's position on the live topic (the group
KAFKA_DASHBOARD_GROUP its workers commit to), the event-time freshness of each stage (ingest, live,
lake, hourly, daily: topsongs_charts.freshness), and serves the result on
CHARTS_MONITOR_HOST:CHARTS_MONITOR_PORT/metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Counter, Gauge, start_http_server
from topsongs_core.kafka_options import aiokafka_connection

from topsongs_charts.freshness import Freshness, LiveTail, loaded_charts, newest_before
from topsongs_charts.lag import Lag, Positions, group_positions, lake_positions, measure, topic_partitions
from topsongs_charts.lake_reader import LakeReader
from topsongs_charts.settings import ChartsSettings

log = logging.getLogger(__name__)

LAG_RECORDS = Gauge(
    "topsongs_consumer_lag_records",
    "Records on the topic the consumer has not processed yet",
    ["consumer", "topic"],
)
LAG_SECONDS = Gauge(
    "topsongs_consumer_lag_seconds",
    "Age of the oldest record the consumer has not processed yet (0 when caught up)",
    ["consumer", "topic"],
)
TOPIC_END = Gauge("topsongs_topic_end_offset", "Sum over partitions of the topic's end offsets", ["topic"])
LAST_SUCCESS = Gauge(
    "topsongs_monitor_last_success_timestamp_seconds",
    "When the consumer's lag was last measured",
    ["consumer"],
)
ERRORS = Counter("topsongs_monitor_errors_total", "Lag measurements that failed", ["consumer"])
FRESHNESS = Gauge(
    "topsongs_freshness_seconds",
    "Age of the newest event time the stage holds, when last measured",
    ["stage"],
)
NEWEST = Gauge(
    "topsongs_freshness_newest_timestamp_seconds",
    "Newest event time the stage holds (epoch seconds)",
    ["stage"],
)
STAGE_SUCCESS = Gauge(
    "topsongs_freshness_last_success_timestamp_seconds",
    "When the stage last moved its newest event time forward (hourly, daily: when it was loaded)",
    ["stage"],
)
# The newest event time each stage had at the previous round (its last success moves with it).
SEEN: dict[str, float] = {}
# The `consumer` label of dashboard-api's live feed, a role like "lake" (its group is a setting).
DASHBOARD = "dashboard-api"


def publish(lags: list[Lag]) -> None:
    """Set the gauges from one measurement."""
    for lag in lags:
        LAG_RECORDS.labels(lag.consumer, lag.topic).set(lag.records)
        LAG_SECONDS.labels(lag.consumer, lag.topic).set(lag.seconds)


def publish_freshness(fresh: Freshness, now: float) -> None:
    """Set a stage's gauges; without a load time, its last success is when its newest time moved
    forward (at the monitor's start: that newest time itself)."""
    before = SEEN.get(fresh.stage)
    SEEN[fresh.stage] = max(fresh.newest, before or 0.0)
    NEWEST.labels(fresh.stage).set(fresh.newest)
    FRESHNESS.labels(fresh.stage).set(max(now - fresh.newest, 0.0))
    if fresh.loaded is not None:
        STAGE_SUCCESS.labels(fresh.stage).set(fresh.loaded)
    elif before is None or fresh.newest > before:
        STAGE_SUCCESS.labels(fresh.stage).set(fresh.newest if before is None else now)


async def measure_once(
    settings: ChartsSettings,
    admin: AIOKafkaAdminClient,
    reader: AIOKafkaConsumer,
    lake: LakeReader,
    tail: LiveTail | None = None,
) -> None:
    """One round: each consumer's lag, the topics' end offsets, then each stage's freshness; a
    failing measurement is counted and the others still run."""
    kafka = settings.kafka
    wait = settings.monitor_interval_s
    held: dict[str, Positions] = {}
    for consumer in (settings.live_group, DASHBOARD, "lake"):
        try:
            if consumer == "lake":
                positions = held["lake"] = await lake_positions(admin, settings, lake)
            elif consumer == DASHBOARD:
                positions = await group_positions(admin, kafka.dashboard_group)
            else:
                positions = await group_positions(admin, consumer)
            publish(await measure(reader, consumer, positions, wait))
            LAST_SUCCESS.labels(consumer).set(time.time())
        except Exception:
            # The monitor outlives a broker or store outage: the gap shows in last_success.
            log.exception("measuring the lag of %s failed", consumer)
            ERRORS.labels(consumer).inc()
    for topic in (kafka.plays_topic, kafka.dead_letter_topic):
        try:
            partitions = await topic_partitions(admin, topic)
            if partitions:
                ends = await reader.end_offsets(partitions)
                TOPIC_END.labels(topic).set(sum(ends.values()))
                if topic == kafka.plays_topic:
                    held["ingest"] = ends
        except Exception:
            log.exception("reading the end offsets of %s failed", topic)
            ERRORS.labels(f"topic:{topic}").inc()
    await measure_freshness(settings, admin, reader, held, tail or LiveTail(kafka.live_topic))


async def measure_freshness(
    settings: ChartsSettings,
    admin: AIOKafkaAdminClient,
    reader: AIOKafkaConsumer,
    held: dict[str, Positions],
    tail: LiveTail,
) -> None:
    """Each stage's newest event time: ingest and the lake from the positions the lag round read,
    the live worker from its topic, the hourly and daily charts from PostgreSQL."""
    wait = settings.monitor_interval_s
    for stage in ("ingest", "lake", "live", "charts"):
        try:
            now = time.time()
            if stage == "charts":
                for fresh in await loaded_charts(settings.postgres):
                    publish_freshness(fresh, now)
                continue
            if stage == "live":
                partitions = await topic_partitions(admin, settings.kafka.live_topic)
                newest = await tail.advance(reader, partitions, wait)
            elif stage in held:
                newest = await newest_before(reader, held[stage], wait)
            else:
                continue  # its positions could not be read this round (counted above)
            if newest is not None:
                publish_freshness(Freshness(stage, newest), now)
        except Exception:
            log.exception("measuring the freshness of %s failed", stage)
            ERRORS.labels(f"freshness:{stage}").inc()


async def watch(settings: ChartsSettings) -> None:
    """Measure for ever, every ``monitor_interval_s``."""
    connection = aiokafka_connection(settings.kafka, client_id="topsongs-monitor")
    admin = AIOKafkaAdminClient(**connection)
    reader = AIOKafkaConsumer(
        **connection, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    tail = LiveTail(settings.kafka.live_topic)
    await admin.start()
    try:
        async with reader, LakeReader.open(settings.s3) as lake:
            while True:
                await measure_once(settings, admin, reader, lake, tail)
                await asyncio.sleep(settings.monitor_interval_s)
    finally:
        await admin.close()


def main() -> None:
    """Serve the metrics, then measure until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiokafka logs every assign(), which each measurement does.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    settings = ChartsSettings()
    start_http_server(settings.monitor_port, addr=settings.monitor_host)
    log.info("lag metrics on http://%s:%d/metrics", settings.monitor_host, settings.monitor_port)
    asyncio.run(watch(settings))


if __name__ == "__main__":
    main()

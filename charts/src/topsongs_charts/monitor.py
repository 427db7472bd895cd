"""`python -m topsongs_charts.monitor`: the pipeline's consumer lag as Prometheus metrics.

Every CHARTS_MONITOR_INTERVAL_S it measures the live worker's consumer group (STREAMS_APP_ID) and the
lake job's checkpoint against the plays topic, and serves the result on
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

from topsongs_charts.lag import Lag, group_positions, lake_positions, measure, topic_partitions
from topsongs_charts.lake import Lake
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


def publish(lags: list[Lag]) -> None:
    """Set the gauges from one measurement."""
    for lag in lags:
        LAG_RECORDS.labels(lag.consumer, lag.topic).set(lag.records)
        LAG_SECONDS.labels(lag.consumer, lag.topic).set(lag.seconds)


async def measure_once(
    settings: ChartsSettings, admin: AIOKafkaAdminClient, reader: AIOKafkaConsumer, lake: Lake
) -> None:
    """One round: each consumer's lag, then the topics' end offsets; a failing consumer is counted."""
    kafka = settings.kafka
    wait = settings.monitor_interval_s
    for consumer in (settings.live_group, "lake"):
        try:
            if consumer == "lake":
                positions = await lake_positions(admin, settings, lake)
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
                TOPIC_END.labels(topic).set(sum((await reader.end_offsets(partitions)).values()))
        except Exception:
            log.exception("reading the end offsets of %s failed", topic)
            ERRORS.labels(f"topic:{topic}").inc()


async def watch(settings: ChartsSettings) -> None:
    """Measure for ever, every ``monitor_interval_s``."""
    connection = aiokafka_connection(settings.kafka, client_id="topsongs-monitor")
    admin = AIOKafkaAdminClient(**connection)
    reader = AIOKafkaConsumer(
        **connection, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    lake = Lake.from_s3(settings.s3)
    await admin.start()
    try:
        async with reader:
            while True:
                await measure_once(settings, admin, reader, lake)
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

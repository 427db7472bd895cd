"""The worker on a SASL_SSL (SCRAM-SHA-512) broker of the test's own: it counts and publishes exactly,
its Kafka security coming from the same ``KAFKA_*`` settings as every other client's."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.live import decode_partials
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.kafka import Kafka

from tests.devstack import test_kafka_sasl_ssl as sasl_ssl
from tests.streams.live_oracle import expected, plays
from tests.streams.worker import Worker

REGIONS = ("US", "GB")
# The devstack tests' private SASL_SSL broker (own state, ports and CA), once per supported release.
secured = sasl_ssl.secured


async def test_a_worker_on_a_sasl_ssl_broker_publishes_the_exact_charts(
    secured: tuple[Kafka, KafkaSettings], tmp_path: Path
) -> None:
    _, kafka = secured
    sent = plays(REGIONS, 300, songs=15, seed=5)
    async with AIOKafkaProducer(**aiokafka_connection(kafka), acks="all") as producer:
        for event in sent:
            await producer.send(kafka.plays_topic, event.to_json(), key=event.kafka_key())
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "KAFKA_DEAD_LETTER_TOPIC": kafka.dead_letter_topic,
        "KAFKA_LIVE_TOPIC": kafka.live_topic,
        "KAFKA_PLAYS_PARTITIONS": str(kafka.plays_partitions),
        "KAFKA_SECURITY_PROTOCOL": kafka.security_protocol,
        "KAFKA_SASL_MECHANISM": str(kafka.sasl_mechanism),
        "KAFKA_SASL_USERNAME": str(kafka.sasl_username),
        "KAFKA_SASL_PASSWORD": kafka.sasl_password.get_secret_value() if kafka.sasl_password else "",
        "KAFKA_SSL_CAFILE": str(kafka.ssl_cafile),
        "STREAMS_APP_ID": f"secured-{uuid.uuid4().hex[:8]}",
    }
    worker = Worker(env, tmp_path / "worker", tmp_path / "worker.log").start()
    try:
        # The newest partials per (region, window) key, merged over partitions, until they equal the oracle.
        latest: dict[tuple[str, str], dict[str, list]] = {}
        ranges: dict[tuple[str, str], tuple[str, str]] = {}
        consumer = AIOKafkaConsumer(
            kafka.live_topic, **aiokafka_connection(kafka), auto_offset_reset="earliest"
        )
        async with consumer:
            deadline = time.monotonic() + 120
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        partials = decode_partials(record.value)
                        key = (partials.region, partials.window)
                        ranges[key] = (partials.window_start, partials.window_end)
                        parts = latest.setdefault(key, {})
                        parts.update({p: c.entries for p, c in partials.parts.items()})
                diffs = [
                    key
                    for key in ((r, w) for r in REGIONS for w in ("5m", "60m", "hour"))
                    if key not in latest or merged(latest[key]) != expected(sent, key[0], *ranges[key])
                ]
                if not diffs:
                    break
                assert worker.proc is not None and worker.proc.poll() is None, "the worker exited"
                assert time.monotonic() < deadline, f"charts never matched the oracle: {diffs}"
    finally:
        worker.stop()
    log = worker.log.read_text(errors="replace")
    assert not any(secret in log for secret in sasl_ssl.SECRETS)


def merged(parts: dict[str, list]) -> list[dict]:
    """The top 10 of every partition's candidates, ranked as the board does (plays desc, song_id asc)."""
    ranked = sorted((-c.plays, c.song_id) for entries in parts.values() for c in entries)[:10]
    return [{"rank": i, "song_id": song, "plays": -plays} for i, (plays, song) in enumerate(ranked, start=1)]

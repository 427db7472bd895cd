"""SASL_SSL with SCRAM-SHA-512 for real: a private broker, a test CA, clients built by the core builder."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from pydantic import SecretStr
from pyspark.sql import SparkSession
from spark.session import build_session, kafka_source_options
from spark.settings import LakeSettings
from topsongs_core.kafka_options import aiokafka_connection, faust_broker_credentials
from topsongs_core.settings import KafkaSettings, S3Settings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.kafka import Kafka
from topsongs_devstack.process import free_port
from topsongs_devstack.services.spark import spark_jars

from tests.devstack.tls import TlsFiles, make_tls_files

ADMIN_PASSWORD = "admin-pw-4Qx9"
APP_PASSWORD = "app-pw-Lm72"
WRONG_PASSWORD = "wrong-pw-Ty55"
SECRETS = (ADMIN_PASSWORD, APP_PASSWORD, WRONG_PASSWORD)


def secured_broker_properties(
    tls: TlsFiles, combined_key: Path, host: str, port: int, controller: int
) -> dict[str, str]:
    """One SASL_SSL (SCRAM-SHA-512) listener for clients and the broker itself; plaintext off."""
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
        f' username="admin" password="{ADMIN_PASSWORD}";'
    )
    return {
        "listeners": f"SASL_SSL://{host}:{port},CONTROLLER://{host}:{controller}",
        "advertised.listeners": f"SASL_SSL://{host}:{port}",
        "inter.broker.listener.name": "SASL_SSL",
        "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(combined_key),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.ca),
    }


@pytest.fixture(scope="module", params=["default", "3.9.1"])
def secured(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Kafka, KafkaSettings]]:
    """A broker of this module's own (own state, ports and CA, each supported release) and the app user's
    client settings."""
    root = tmp_path_factory.mktemp("sasl-ssl")
    tls = make_tls_files(root / "tls")
    combined = root / "tls" / "broker-keystore.pem"  # Kafka's PEM key store: key then certificate
    combined.write_text(tls.broker_key.read_text() + tls.broker_cert.read_text())
    port, controller = free_port(), free_port()
    settings = DevstackSettings(state_dir=root / "state", kafka_controller_port=controller)
    assert settings.state_dir != DevstackSettings().state_dir
    if request.param != "default":
        settings = settings.model_copy(update={"kafka_version": request.param})
    suffix = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(
        bootstrap_servers=f"127.0.0.1:{port}",
        plays_topic=f"secured-plays-{suffix}",
        dead_letter_topic=f"secured-dlq-{suffix}",
        live_topic=f"secured-live-{suffix}",
        plays_partitions=2,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="app",
        sasl_password=APP_PASSWORD,
        ssl_cafile=tls.ca,
    )
    properties = secured_broker_properties(tls, combined, "127.0.0.1", port, controller)
    users = [
        f"SCRAM-SHA-512=[name={name},password={pw}]"
        for name, pw in (("admin", ADMIN_PASSWORD), ("app", APP_PASSWORD))
    ]
    broker = Kafka(
        settings, kafka, properties=properties, format_args=[a for u in users for a in ("--add-scram", u)]
    )
    broker.up()  # creates the topics through the builder's admin client, as the app user
    yield broker, kafka
    broker.down()


async def test_producer_and_consumer_from_the_builder_round_trip(
    secured: tuple[Kafka, KafkaSettings],
) -> None:
    broker, kafka = secured
    sent = {f"play-{i}".encode() for i in range(50)}
    async with AIOKafkaProducer(**aiokafka_connection(kafka), acks="all") as producer:
        for value in sent:
            await producer.send(kafka.plays_topic, value)
        await producer.flush()
    consumer = AIOKafkaConsumer(
        kafka.plays_topic, **aiokafka_connection(kafka), auto_offset_reset="earliest", consumer_timeout_ms=500
    )
    async with consumer:
        received: set[bytes] = set()
        while len(received) < len(sent):
            batch = await consumer.getmany(timeout_ms=10_000)
            assert batch, f"only {len(received)} of {len(sent)} records came back"
            received.update(r.value for records in batch.values() for r in records if r.value is not None)
    assert received == sent
    status = await asyncio.to_thread(broker.status)  # devstack status runs its own event loop
    assert status.healthy
    assert not any(secret in repr(status) for secret in SECRETS)


async def test_faust_producer_with_the_builder_credentials(secured: tuple[Kafka, KafkaSettings]) -> None:
    _, kafka = secured
    app = faust.App(
        f"secured-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{kafka.bootstrap_servers}",
        broker_credentials=faust_broker_credentials(kafka),
    )
    producer = app.producer  # Faust's own aiokafka producer, configured from the credentials
    await producer.start()
    try:
        await producer.send_and_wait(
            kafka.dead_letter_topic, None, b"from-faust", partition=None, timestamp=None, headers=None
        )
    finally:
        await producer.stop()
    async with AIOKafkaConsumer(
        kafka.dead_letter_topic, **aiokafka_connection(kafka), auto_offset_reset="earliest"
    ) as consumer:
        batch = await consumer.getmany(timeout_ms=10_000)
    assert b"from-faust" in [r.value for records in batch.values() for r in records]


async def test_plaintext_and_wrong_password_are_refused(secured: tuple[Kafka, KafkaSettings]) -> None:
    _, kafka = secured
    plaintext = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await plaintext.start()
    await plaintext.stop()
    wrong = kafka.model_copy(update={"sasl_password": SecretStr(WRONG_PASSWORD)})
    producer = AIOKafkaProducer(**aiokafka_connection(wrong), request_timeout_ms=5000)
    with pytest.raises(KafkaError) as failure:
        await producer.start()
    await producer.stop()
    assert not any(secret in f"{failure.value} {failure.value!r}" for secret in SECRETS)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    """A local SparkSession with the Kafka source jars, configured as the lake job's."""
    jars = spark_jars(DevstackSettings())
    session = build_session(LakeSettings(jars_dir=jars, ui_enabled=False), S3Settings())
    yield session
    session.stop()


async def test_spark_reads_through_the_builder_options(
    secured: tuple[Kafka, KafkaSettings], spark: SparkSession
) -> None:
    _, kafka = secured
    kafka = kafka.model_copy(update={"plays_topic": f"{kafka.plays_topic}-spark"})
    sent = {f"spark-{i}".encode() for i in range(20)}
    async with AIOKafkaProducer(**aiokafka_connection(kafka), acks="all") as producer:
        for value in sent:
            await producer.send(kafka.plays_topic, value)
    lake = LakeSettings(starting_offsets="earliest")
    # The lake job's own source options (JAAS config, PEM trust store inline), read as one batch.
    frame = await asyncio.to_thread(
        lambda: spark.read.format("kafka").options(**kafka_source_options(kafka, lake)).load()
    )
    rows = await asyncio.to_thread(frame.select("value").collect)
    assert {bytes(row.value) for row in rows} == sent
    # What Spark shows of the options (UI, event log, plans) goes through its redaction: no secret.
    jvm = spark.sparkContext._jvm
    options = jvm.org.apache.spark.api.python.PythonUtils.toScalaMap(kafka_source_options(kafka, lake))
    redacted = spark._jsparkSession.sessionState().conf().redactOptions(options)
    shown = dict(jvm.scala.jdk.javaapi.CollectionConverters.asJava(redacted))
    assert shown["kafka.bootstrap.servers"] == kafka.bootstrap_servers
    assert "redacted" in shown["kafka.sasl.jaas.config"]
    assert not any(secret in str(shown) for secret in SECRETS)


def test_no_secret_in_the_broker_log(secured: tuple[Kafka, KafkaSettings]) -> None:
    broker, _ = secured
    log = broker.proc.log_file.read_text(errors="replace")
    assert "SASL_SSL" in log  # the log is the broker's, with its listener in it
    assert f"Kafka version: {broker.version}" in log
    assert "Reconfiguration failed" not in log and "log4j:WARN" not in log
    assert not any(secret in log for secret in SECRETS)

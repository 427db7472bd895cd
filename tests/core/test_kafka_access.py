"""Refusals are explained naming the settings and never a secret; an outage is not a refusal.

The refusals of a real secured cluster (wrong password, topics and groups outside the ACLs, for every
service) are in tests/cluster/test_security.py; here are the wording and the outage side.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaTimeoutError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr
from topsongs_core.kafka_access import check_kafka_access, explain_kafka_error
from topsongs_core.settings import KafkaSettings

PASSWORD = "s3cret-Value-9"
KAFKA = KafkaSettings(
    bootstrap_servers="broker-1:9094,broker-2:9094",
    security_protocol="SASL_SSL",
    sasl_mechanism="SCRAM-SHA-512",
    sasl_username="ingest",
    sasl_password=SecretStr(PASSWORD),
)


OUTAGES = [KafkaConnectionError("Unable to bootstrap"), KafkaTimeoutError(), OSError("refused"), ValueError()]


@pytest.mark.parametrize("exc", OUTAGES)
def test_an_outage_or_a_bug_is_not_a_refusal(exc: BaseException) -> None:
    assert explain_kafka_error(exc, KAFKA) is None


def test_a_refused_login_names_the_settings_user_and_brokers_never_the_password() -> None:
    # Even an error text that holds the password (brokers do not echo it) is not trusted with it.
    refused = explain_kafka_error(SaslAuthenticationFailed(f"invalid credentials {PASSWORD}"), KAFKA)
    assert refused is not None
    text = str(refused)
    for named in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "'ingest'", KAFKA.bootstrap_servers):
        assert named in text
    assert PASSWORD not in text


def test_the_refusal_is_found_behind_the_error_that_wraps_it() -> None:
    try:
        try:
            raise TopicAuthorizationFailedError()
        except TopicAuthorizationFailedError as inner:
            raise RuntimeError("send failed") from inner
    except RuntimeError as outer:
        refused = explain_kafka_error(outer, KAFKA, operation="Write", topic="song-plays")
    assert refused is not None
    assert "user 'ingest' may not Write topic 'song-plays'" in str(refused)


def test_a_group_refusal_names_the_group_not_the_topic() -> None:
    refused = explain_kafka_error(
        GroupAuthorizationFailedError(), KAFKA, operation="Read", topic="song-plays", group="other-app"
    )
    assert refused is not None
    assert "may not Read group 'other-app'" in str(refused)


@pytest.mark.parametrize(
    ("java", "expected"),
    [
        (
            "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during "
            "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 SQLSTATE: XXKST",
            "Kafka refused the credentials of user 'ingest'",
        ),
        (
            "Caused by: org.apache.kafka.common.errors.TopicAuthorizationException: "
            "Topic authorization failed.",
            "may not Read topic 'song-plays'",
        ),
        (
            "org.apache.kafka.common.errors.TopicAuthorizationException: "
            "Not authorized to access topics: [top-songs-live]",
            "may not Read topic 'top-songs-live'",
        ),
        (
            "org.apache.kafka.common.errors.GroupAuthorizationException: "
            "Not authorized to access group: spark-x-driver-0",
            "may not Read group 'spark-x-driver-0'",
        ),
    ],
)
def test_the_java_clients_refusals_in_a_spark_error_are_explained(java: str, expected: str) -> None:
    error = RuntimeError(f"[STREAM_FAILED] Query terminated with exception\n\tat x.y(Z.scala:1)\n{java}\n")
    refused = explain_kafka_error(error, KAFKA, operation="Read", topic="song-plays")
    assert refused is not None
    assert expected in str(refused)
    assert "SQLSTATE" not in str(refused)


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A port that accepts connections and never answers: a hung broker."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"127.0.0.1:{server.getsockname()[1]}"


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


async def test_brokers_that_are_down_or_hung_are_an_outage_not_a_refusal(silent_listener: str) -> None:
    down = KafkaSettings(bootstrap_servers=f"{_closed_port()},{silent_listener}")
    assert await check_kafka_access(down, topics={"song-plays": "Write"}, group="g", timeout_s=0.5) is False
    # No attempt is left running.
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

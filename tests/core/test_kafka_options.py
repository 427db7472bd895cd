"""One Kafka configuration for every client: each builder's output per protocol, and no secret leaks."""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import SecretStr, ValidationError
from topsongs_core.kafka_options import (
    SECRET_OPTION_PATTERN,
    aiokafka_connection,
    faust_broker_credentials,
    spark_kafka_options,
)
from topsongs_core.settings import KafkaSettings

from tests.devstack.tls import ENCRYPTED_KEY_PASSWORD, TlsFiles, make_tls_files

PASSWORD = 'pa"ss\\word-7Hk2'  # a quote and a backslash: JAAS needs them escaped
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
CASES = [
    (protocol, mechanism)
    for protocol in PROTOCOLS
    for mechanism in (MECHANISMS if protocol.startswith("SASL_") else (None,))
]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA and client certificate for the TLS protocols."""
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def settings_for(protocol: str, mechanism: str | None, tls: TlsFiles, **extra: Any) -> KafkaSettings:
    """Settings of one case: SASL credentials for SASL protocols, the CA for TLS ones."""
    fields: dict[str, Any] = {"bootstrap_servers": "b-1:9093,b-2:9093", "security_protocol": protocol}
    if protocol.startswith("SASL_"):
        fields |= {"sasl_mechanism": mechanism, "sasl_username": "ingest", "sasl_password": PASSWORD}
    if protocol.endswith("SSL"):
        fields["ssl_cafile"] = tls.ca
    return KafkaSettings(**fields, **extra)


@pytest.mark.parametrize(("protocol", "mechanism"), CASES)
async def test_aiokafka_options_per_protocol(protocol: str, mechanism: str | None, tls: TlsFiles) -> None:
    options = aiokafka_connection(settings_for(protocol, mechanism, tls))
    assert options["bootstrap_servers"] == "b-1:9093,b-2:9093"
    assert options["security_protocol"] == protocol
    assert "client_id" not in options
    if protocol.endswith("SSL"):
        context = options["ssl_context"]
        assert isinstance(context, ssl.SSLContext)
        assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
        assert any(
            cert["subject"] == ((("commonName", "topsongs-test-ca"),),) for cert in context.get_ca_certs()
        )
    else:
        assert options["ssl_context"] is None
    if protocol.startswith("SASL_"):
        assert options["sasl_mechanism"] == mechanism
        assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("ingest", PASSWORD)
    # Each aiokafka client accepts them (its constructor checks protocol, mechanism and context).
    producer, consumer = AIOKafkaProducer(**options), AIOKafkaConsumer(**options)
    assert producer.client._security_protocol == consumer._client._security_protocol == protocol
    admin = AIOKafkaAdminClient(**options)
    assert admin._client._security_protocol == protocol
    await producer.stop()
    await consumer.stop()
    await admin.close()


def test_client_id_from_settings_or_caller(tls: TlsFiles) -> None:
    kafka = KafkaSettings(client_id="topsongs-prod")
    assert aiokafka_connection(kafka)["client_id"] == "topsongs-prod"
    assert aiokafka_connection(kafka, client_id="topsongs-charts")["client_id"] == "topsongs-prod"
    assert aiokafka_connection(KafkaSettings(), client_id="topsongs-charts")["client_id"] == "topsongs-charts"
    assert spark_kafka_options(kafka)["kafka.client.id"] == "topsongs-prod"


def test_mutual_tls_with_an_encrypted_key(tls: TlsFiles) -> None:
    kafka = settings_for(
        "SSL",
        None,
        tls,
        ssl_certfile=tls.client_cert,
        ssl_keyfile=tls.client_key_encrypted,
        ssl_key_password=ENCRYPTED_KEY_PASSWORD,
    )
    assert isinstance(aiokafka_connection(kafka)["ssl_context"], ssl.SSLContext)
    options = spark_kafka_options(kafka)
    assert options["kafka.ssl.keystore.type"] == "PEM"
    assert options["kafka.ssl.keystore.certificate.chain"] == tls.client_cert.read_text()
    assert options["kafka.ssl.keystore.key"] == tls.client_key_encrypted.read_text()
    assert options["kafka.ssl.key.password"] == ENCRYPTED_KEY_PASSWORD
    wrong = kafka.model_copy(update={"ssl_key_password": SecretStr("not-the-key-pass")})
    with pytest.raises(ssl.SSLError) as failure:
        aiokafka_connection(wrong)
    assert "not-the-key-pass" not in str(failure.value) and "not-the-key-pass" not in repr(failure.value)


@pytest.mark.parametrize(("protocol", "mechanism"), CASES)
def test_faust_credentials_match_the_aiokafka_options(
    protocol: str, mechanism: str | None, tls: TlsFiles
) -> None:
    kafka = settings_for(protocol, mechanism, tls)
    credentials = faust_broker_credentials(kafka)
    if protocol == "PLAINTEXT":
        assert credentials is None
        return
    expected_type = faust.SASLCredentials if protocol.startswith("SASL_") else faust.SSLCredentials
    assert isinstance(credentials, expected_type)
    assert PASSWORD not in repr(credentials)
    # What Faust hands to aiokafka is what the other clients get.
    faust_auth = dict(credentials_to_aiokafka_auth(credentials))
    options = aiokafka_connection(kafka)
    assert faust_auth["security_protocol"] == protocol
    for key in ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password"):
        if key in faust_auth:
            assert faust_auth[key] == options[key]
    assert isinstance(faust_auth["ssl_context"], ssl.SSLContext) == protocol.endswith("SSL")


@pytest.mark.parametrize(("protocol", "mechanism"), CASES)
def test_spark_options_per_protocol(protocol: str, mechanism: str | None, tls: TlsFiles) -> None:
    options = spark_kafka_options(settings_for(protocol, mechanism, tls))
    assert options["kafka.bootstrap.servers"] == "b-1:9093,b-2:9093"
    assert options["kafka.security.protocol"] == protocol
    if protocol.startswith("SASL_"):
        assert options["kafka.sasl.mechanism"] == mechanism
        module = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
        assert options["kafka.sasl.jaas.config"] == (
            f"org.apache.kafka.common.security.{module} required"
            ' username="ingest" password="pa\\"ss\\\\word-7Hk2";'
        )
    else:
        assert not any(key.startswith("kafka.sasl.") for key in options)
    if protocol.endswith("SSL"):
        assert options["kafka.ssl.truststore.type"] == "PEM"
        assert options["kafka.ssl.truststore.certificates"] == tls.ca.read_text()
        assert "kafka.ssl.keystore.key" not in options  # no client certificate configured
    else:
        assert not any(key.startswith("kafka.ssl.") for key in options)
    # Spark redacts exactly the options that carry secrets.
    secret = {k for k in options if re.search(SECRET_OPTION_PATTERN, k)}
    assert secret == {k for k in options if k in ("kafka.sasl.jaas.config",)}


def test_sasl_without_credentials_fails_naming_the_settings() -> None:
    with pytest.raises(ValidationError) as failure:
        KafkaSettings(security_protocol="SASL_SSL", sasl_password=PASSWORD)
    message = str(failure.value)
    assert "KAFKA_SASL_USERNAME" in message
    assert PASSWORD not in message and PASSWORD not in repr(failure.value)


def test_protocol_and_mechanism_in_any_case() -> None:
    kafka = KafkaSettings(
        security_protocol="sasl_plaintext",
        sasl_mechanism="scram-sha-512",
        sasl_username="u",
        sasl_password="p",
    )
    assert (kafka.security_protocol, kafka.sasl_mechanism) == ("SASL_PLAINTEXT", "SCRAM-SHA-512")


def test_unknown_protocol_or_mechanism_is_refused() -> None:
    with pytest.raises(ValidationError, match="security_protocol"):
        KafkaSettings(security_protocol="SASL-SSL")
    with pytest.raises(ValidationError, match="sasl_mechanism"):
        KafkaSettings(
            security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-1", sasl_username="u", sasl_password="p"
        )


def test_settings_and_their_errors_do_not_show_the_secrets(
    tls: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", PASSWORD)
    monkeypatch.setenv("KAFKA_SSL_KEY_PASSWORD", ENCRYPTED_KEY_PASSWORD)
    kafka = KafkaSettings(security_protocol="SASL_SSL", sasl_username="ingest", ssl_cafile=tls.ca)
    assert kafka.sasl_password is not None and kafka.sasl_password.get_secret_value() == PASSWORD
    shown = [repr(kafka), str(kafka), kafka.model_dump_json(), str(kafka.model_dump())]
    # A validation error elsewhere in the same settings echoes its input: never the secret.
    monkeypatch.setenv("KAFKA_PLAYS_PARTITIONS", "0")
    with pytest.raises(ValidationError) as failure:
        KafkaSettings(security_protocol="SASL_SSL", sasl_username="ingest")
    shown += [str(failure.value), repr(failure.value)]
    for text in shown:
        assert PASSWORD not in text and ENCRYPTED_KEY_PASSWORD not in text


def test_settings_read_the_tls_files_from_the_environment(
    tls: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(tls.ca))
    monkeypatch.setenv("KAFKA_SSL_CERTFILE", str(tls.client_cert))
    monkeypatch.setenv("KAFKA_SSL_KEYFILE", str(tls.client_key))
    kafka = KafkaSettings()
    assert (kafka.ssl_cafile, kafka.ssl_certfile, kafka.ssl_keyfile) == (
        tls.ca,
        tls.client_cert,
        tls.client_key,
    )
    assert isinstance(kafka.ssl_cafile, Path)
    assert spark_kafka_options(kafka)["kafka.ssl.keystore.key"] == tls.client_key.read_text()

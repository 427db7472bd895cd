"""``KafkaSettings`` as the options of each Kafka client library: aiokafka, Faust, Spark (Java client).

Every client of the project connects through one of these builders, so a security setting reaches
all of them or none. Secret values leave ``SecretStr`` only here, straight into the client's options;
nothing here logs them or puts them into an error message.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from topsongs_core.settings import KafkaSettings

if TYPE_CHECKING:
    from faust.types.auth import CredentialsT

TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})
SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})
JAAS_LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


def sasl_mechanism(kafka: KafkaSettings) -> str:
    """The SASL mechanism in force (PLAIN when unset, as aiokafka assumes)."""
    return kafka.sasl_mechanism or "PLAIN"


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """A client TLS context from the CA / cert / key files, or None for a protocol without TLS."""
    if kafka.security_protocol not in TLS_PROTOCOLS:
        return None
    # The same context aiokafka.helpers.create_ssl_context builds: hostname checked, CA verified.
    context = ssl.create_default_context(
        purpose=ssl.Purpose.SERVER_AUTH, cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None
    )
    if kafka.ssl_certfile:
        context.load_cert_chain(
            str(kafka.ssl_certfile),
            str(kafka.ssl_keyfile) if kafka.ssl_keyfile else None,
            kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None,
        )
    return context


def aiokafka_connection(kafka: KafkaSettings, *, client_id: str | None = None) -> dict[str, Any]:
    """Keyword arguments every aiokafka client (producer, consumer, admin) takes for the cluster.

    ``client_id`` is the caller's default name; ``KAFKA_CLIENT_ID`` wins over it (an operator names
    each process of a deployment), and with neither aiokafka uses its own.
    """
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
        "ssl_context": ssl_context(kafka),
        "sasl_mechanism": sasl_mechanism(kafka),
        "sasl_plain_username": kafka.sasl_username,
        "sasl_plain_password": kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
    }
    if kafka.client_id or client_id:
        options["client_id"] = kafka.client_id or client_id
    return options


def faust_broker_credentials(kafka: KafkaSettings) -> CredentialsT | None:
    """The ``broker_credentials`` of a Faust app (None for PLAINTEXT)."""
    import faust  # only the streams worker has Faust installed

    context = ssl_context(kafka)
    if kafka.security_protocol in SASL_PROTOCOLS:
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
            mechanism=sasl_mechanism(kafka),
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def _jaas_quoted(value: str) -> str:
    # JAAS values are double-quoted strings with backslash escapes (Java's StreamTokenizer).
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def java_client_properties(kafka: KafkaSettings) -> dict[str, str]:
    """The Java client's connection properties (``security.protocol``, ``sasl.jaas.config``, ``ssl.*``).

    TLS material is passed inline as PEM (keys must be PKCS#8), not as file paths, so the options
    work on machines that do not have the files (Spark executors on other hosts).
    """
    props = {"bootstrap.servers": kafka.bootstrap_servers, "security.protocol": kafka.security_protocol}
    if kafka.client_id:
        props["client.id"] = kafka.client_id
    if kafka.security_protocol in SASL_PROTOCOLS:
        mechanism = sasl_mechanism(kafka)
        props["sasl.mechanism"] = mechanism
        if kafka.sasl_username and kafka.sasl_password:
            props["sasl.jaas.config"] = (
                f"{JAAS_LOGIN_MODULES[mechanism]} required"
                f" username={_jaas_quoted(kafka.sasl_username)}"
                f" password={_jaas_quoted(kafka.sasl_password.get_secret_value())};"
            )
    if kafka.security_protocol in TLS_PROTOCOLS:
        if kafka.ssl_cafile:
            props["ssl.truststore.type"] = "PEM"
            props["ssl.truststore.certificates"] = kafka.ssl_cafile.read_text()
        if kafka.ssl_certfile:
            props["ssl.keystore.type"] = "PEM"
            props["ssl.keystore.certificate.chain"] = kafka.ssl_certfile.read_text()
            props["ssl.keystore.key"] = (kafka.ssl_keyfile or kafka.ssl_certfile).read_text()
            if kafka.ssl_key_password:
                props["ssl.key.password"] = kafka.ssl_key_password.get_secret_value()
    return props


def spark_kafka_options(kafka: KafkaSettings) -> dict[str, str]:
    """The connection options of Spark's Kafka source and sink (``kafka.``-prefixed)."""
    return {f"kafka.{key}": value for key, value in java_client_properties(kafka).items()}


# Option names whose values are secrets, for Spark's redaction of its UI, event log and plans.
SECRET_OPTION_PATTERN = r"(?i)secret|password|token|access[.]?key|jaas|keystore[.]key"

"""The aiokafka connection options (bootstrap, security protocol, SASL) of ``KafkaSettings``."""

from __future__ import annotations

from topsongs_core.settings import KafkaSettings


def aiokafka_connection(kafka: KafkaSettings) -> dict[str, object]:
    """Keyword arguments every aiokafka client (producer, consumer, admin) takes for the cluster."""
    return {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
        "sasl_mechanism": kafka.sasl_mechanism or "PLAIN",
        "sasl_plain_username": kafka.sasl_username,
        "sasl_plain_password": kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
    }

"""Telling a Kafka configuration error (wrong credentials, an operation outside the ACLs) from an outage.

A broker that is down is an outage the services ride out; a refused login or topic is a setting to
fix, and retrying it only hides it. ``explain_kafka_error`` turns either client library's refusal
(aiokafka's exceptions, the Java client's inside a Spark error) into one log line naming the settings,
the user, the resource and the bootstrap servers, never a secret value; ``check_kafka_access`` asks the
brokers at start-up, so a service can stop there instead of failing on every request.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Mapping
from typing import Any

from topsongs_core.kafka_options import aiokafka_connection, sasl_mechanism
from topsongs_core.settings import KafkaSettings

# Exception class names of aiokafka (Python) and of the Java client (org.apache.kafka.common.errors).
AUTHENTICATION = frozenset(
    {
        "SaslAuthenticationFailed",
        "SaslAuthenticationException",
        "AuthenticationException",
        "IllegalSaslStateError",
        "IllegalSaslStateException",
        "UnsupportedSaslMechanismError",
        "UnsupportedSaslMechanismException",
    }
)
AUTHORIZATION = {
    "TopicAuthorizationFailedError": "topic",
    "TopicAuthorizationException": "topic",
    "GroupAuthorizationFailedError": "group",
    "GroupAuthorizationException": "group",
    "TransactionalIdAuthorizationFailedError": "transactional id",
    "TransactionalIdAuthorizationException": "transactional id",
    "ClusterAuthorizationFailedError": "cluster",
    "ClusterAuthorizationException": "cluster",
}
# pyspark appends " SQLSTATE: <code>" to the line of the error it wraps.
_JAVA_ERROR = re.compile(
    r"org\.apache\.kafka\.common\.errors\.(\w+):? ?(.*?)(?: SQLSTATE: \w+)?$", re.MULTILINE
)
# The Java client names what it was refused: "Not authorized to access topics: [a, b]" / "group: g".
_JAVA_RESOURCE = re.compile(r"Not authorized to access (?:topics|group): \[?([^\]\n]+)\]?")


class KafkaAccessError(RuntimeError):
    """Kafka refused this client's credentials or an operation outside its ACLs: a setting to fix.

    The message is safe to log and to show: it names settings, user and resource, never a secret.
    """


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _refusal(exc: BaseException) -> tuple[str, str] | None:
    """(error class name, its message) of the first refusal in ``exc``'s chain or text, else None."""
    for error in _causes(exc):
        name = type(error).__name__
        if name in AUTHENTICATION or name in AUTHORIZATION:
            return name, str(error)
        for java_name, message in _JAVA_ERROR.findall(str(error)):
            if java_name in AUTHENTICATION or java_name in AUTHORIZATION:
                return java_name, message
    return None


def _redacted(text: str, kafka: KafkaSettings) -> str:
    # Brokers do not echo passwords, but an error text is no place to trust with one.
    for secret in (kafka.sasl_password, kafka.ssl_key_password):
        if secret is not None and secret.get_secret_value():
            text = text.replace(secret.get_secret_value(), "**********")
    return text


def explain_kafka_error(
    exc: BaseException,
    kafka: KafkaSettings,
    *,
    operation: str = "use",
    topic: str | None = None,
    group: str | None = None,
) -> KafkaAccessError | None:
    """The configuration error behind ``exc`` as a `KafkaAccessError`, or None when it is none (an outage).

    ``operation``, ``topic`` and ``group`` say what the caller was doing ("Write", "song-plays"): a
    topic refusal names the topic, a group refusal the group (or what the Java client's message names).
    """
    refusal = _refusal(exc)
    if refusal is None:
        return None
    name, message = refusal
    resource = {"topic": topic, "group": group}.get(AUTHORIZATION.get(name, ""))
    return _access_error(name, message, kafka, operation, resource)


def _access_error(
    name: str, message: str, kafka: KafkaSettings, operation: str, resource: str | None
) -> KafkaAccessError:
    user = kafka.sasl_username or "(no KAFKA_SASL_USERNAME)"
    where = f"at {kafka.bootstrap_servers} ({kafka.security_protocol})"
    detail = message if name in message else f"{name}: {message}".rstrip(": ")
    if name in AUTHENTICATION:
        text = (
            f"Kafka refused the credentials of user {user!r} {where} [{detail}]: check KAFKA_SASL_USERNAME "
            f"and KAFKA_SASL_PASSWORD (KAFKA_SASL_MECHANISM={sasl_mechanism(kafka)})"
        )
    else:
        kind = AUTHORIZATION[name]
        named = _JAVA_RESOURCE.search(message)
        target = named.group(1).strip() if named else resource
        what = f"{kind} {target!r}" if target and kind != "cluster" else kind
        text = (
            f"Kafka user {user!r} may not {operation} {what} {where} [{detail}]: it is outside the user's "
            "ACLs; check the topic / group settings (KAFKA_*_TOPIC, the app or group id) or the ACLs"
        )
    return KafkaAccessError(_redacted(text, kafka))


async def check_kafka_access(
    kafka: KafkaSettings,
    *,
    topics: Mapping[str, str] | None = None,
    group: str | None = None,
    client_id: str | None = None,
    timeout_s: float = 5.0,
) -> bool:
    """Log in to the bootstrap brokers and ask what the service needs; raise `KafkaAccessError` if refused.

    ``topics`` maps each topic to the operation the service needs on it ("Read", "Write"): the
    brokers must describe it (Describe comes with every grant; a topic outside the ACLs is not even
    listed). ``group`` is the consumer group, whose coordinator the user must be allowed to find.
    Every bootstrap broker is asked at once and the first answer counts. True once allowed; False
    when no broker answered within ``timeout_s``: an outage, which the caller rides out as before.
    """
    # Only the services with aiokafka installed call this (the lake job has the Java client only).
    from aiokafka.conn import collect_hosts
    from aiokafka.errors import KafkaError

    attempts = [
        asyncio.create_task(_check_broker(kafka, host, port, topics or {}, group, client_id))
        for host, port, _ in collect_hosts(kafka.bootstrap_servers)
    ]
    try:
        async with asyncio.timeout(timeout_s):
            for attempt in asyncio.as_completed(attempts):
                try:
                    await attempt
                    return True
                except (OSError, TimeoutError, KafkaError):  # this broker is unreachable: ask the next
                    continue
    except TimeoutError:
        pass
    finally:
        for attempt in attempts:
            attempt.cancel()
        await asyncio.gather(*attempts, return_exceptions=True)
    return False


async def _check_broker(
    kafka: KafkaSettings,
    host: str,
    port: int,
    topics: Mapping[str, str],
    group: str | None,
    client_id: str | None,
) -> None:
    from aiokafka.conn import create_conn
    from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError, for_code
    from aiokafka.protocol.coordination import FindCoordinatorRequest
    from aiokafka.protocol.metadata import MetadataRequest

    options: dict[str, Any] = aiokafka_connection(kafka, client_id=client_id)
    del options["bootstrap_servers"]
    try:
        conn = await create_conn(host, port, **options)
    except Exception as exc:
        refused = explain_kafka_error(exc, kafka)
        if refused is not None:
            raise refused from None  # its message has the broker's words already
        raise
    try:
        if topics:
            metadata = await conn.send(MetadataRequest(list(topics), allow_auto_topic_creation=False))
            for error_code, topic, *_ in metadata.topics:
                if for_code(error_code) is TopicAuthorizationFailedError:
                    name = TopicAuthorizationFailedError.__name__
                    raise _access_error(name, "Describe refused", kafka, topics[topic], topic)
        if group is not None:
            coordinator = await conn.send(FindCoordinatorRequest(group, 0))
            if for_code(coordinator.error_code) is GroupAuthorizationFailedError:
                name = GroupAuthorizationFailedError.__name__
                raise _access_error(name, "FindCoordinator refused", kafka, "Read", group)
    finally:
        conn.close()

"""The product's Kafka topics and each service's ACLs, declared once and created where missing.

`python -m ingest.kafka_setup` is compose's kafka-init (add `--acls` on a secured cluster, as the
admin: compose's cluster-kafka-init); devstack's Kafka and its cluster profile call the same code.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.protocol.admin import CreateAclsRequest
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings

# Kafka's ACL wire codes (org.apache.kafka.common.acl / resource).
TOPIC, GROUP, TRANSACTIONAL_ID = 2, 3, 5
LITERAL, PREFIXED = 3, 4
READ, WRITE, CREATE, DESCRIBE, DESCRIBE_CONFIGS, ALL = 3, 4, 5, 8, 10, 2
ALLOW = 3


class KafkaSetupError(RuntimeError):
    """The topics or ACLs could not be created (or were not listed in time)."""


class AclRefused(KafkaSetupError):
    """The cluster refused a rule: a setting to fix, not a broker still starting."""


@dataclass(frozen=True)
class Acl:
    """One allow rule: ``user`` may do ``operations`` on a resource (a name, or every name with a prefix)."""

    user: str
    resource_type: int
    name: str
    operations: tuple[int, ...]
    pattern: int = LITERAL


def service_acls(kafka: KafkaSettings, streams_app_id: str) -> list[Acl]:
    """What each service may do; everything else is denied (``admin`` and the nodes are super users)."""
    plays, dlq, live, hours = (
        kafka.plays_topic,
        kafka.dead_letter_topic,
        kafka.live_topic,
        kafka.live_hours_topic,
    )
    return [
        # Idempotent producing needs only Write on the topic since Kafka 3.0 (KIP-679).
        Acl("ingest", TOPIC, plays, (WRITE, DESCRIBE)),
        # The worker re-keys stray plays back into the plays topic, so it writes that too.
        Acl("streams", TOPIC, plays, (READ, WRITE, DESCRIBE)),
        Acl("streams", TOPIC, dlq, (WRITE, DESCRIBE)),
        *(
            Acl("streams", TOPIC, name, (READ, WRITE, CREATE, DESCRIBE, DESCRIBE_CONFIGS))
            for name in (live, hours)
        ),
        # Faust's changelog and assignor topics, its consumer group and (exactly-once) transactional ids.
        Acl("streams", TOPIC, streams_app_id, (ALL,), PREFIXED),
        Acl("streams", GROUP, streams_app_id, (READ, DESCRIBE), PREFIXED),
        Acl("streams", TRANSACTIONAL_ID, streams_app_id, (WRITE, DESCRIBE), PREFIXED),
        # dashboard-api assigns the partitions itself; it only commits its live position under its
        # group, for the lag monitor (KAFKA_DASHBOARD_GROUP).
        *(Acl("dashboard", TOPIC, name, (READ, DESCRIBE)) for name in (live, hours)),
        Acl("dashboard", GROUP, kafka.dashboard_group, (READ, DESCRIBE)),
        Acl("lake", TOPIC, plays, (READ, DESCRIBE)),
        # Spark's Kafka source makes up its group ids: spark-kafka-source-<uuid>-...
        Acl("lake", GROUP, "spark-kafka-source", (READ, DESCRIBE), PREFIXED),
        # The lag monitor reads the records at the consumers' positions (their timestamps) and the
        # live topic's tail, the dead-letter topic's end offsets only, and the groups' committed
        # offsets (Describe; it joins no group and writes nothing).
        *(Acl("monitor", TOPIC, name, (READ, DESCRIBE)) for name in (plays, live)),
        Acl("monitor", TOPIC, dlq, (DESCRIBE,)),
        *(Acl("monitor", GROUP, name, (DESCRIBE,)) for name in (streams_app_id, kafka.dashboard_group)),
    ]


async def create_acls(kafka: KafkaSettings, acls: list[Acl]) -> None:
    """Add the allow rules (adding an existing rule is a no-op), as the admin."""
    admin = AIOKafkaAdminClient(**aiokafka_connection(kafka), request_timeout_ms=10000)
    try:
        await admin.start()
        for acl in acls:
            for operation in acl.operations:
                # aiokafka's admin has no ACL methods yet; its protocol module has the request.
                request = CreateAclsRequest(
                    acl.resource_type, acl.name, acl.pattern, f"User:{acl.user}", "*", operation, ALLOW
                )
                response = await admin._send_request(request)
                for error_code, message in response.creation_responses:
                    if error_code:
                        error = for_code(error_code).__name__
                        raise AclRefused(f"ACL for {acl.user} on {acl.name} refused: {error} {message}")
    finally:
        await admin.close()


async def ensure_acls(kafka: KafkaSettings, streams_app_id: str, attempts: int = 30) -> None:
    """``create_acls`` of ``service_acls``, retried once a second while a node still reconnects."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            await create_acls(kafka, service_acls(kafka, streams_app_id))
            return
        except AclRefused:
            raise
        except Exception as exc:  # adding a rule twice is harmless
            last = exc
            await asyncio.sleep(1)
    raise KafkaSetupError(f"could not create the Kafka ACLs: {last!r}")


def declared_topics(kafka: KafkaSettings, *extra: str) -> list[NewTopic]:
    """The topics every deployment has, with their partitions and configs (``extra``: like plays)."""
    return [
        NewTopic(kafka.plays_topic, kafka.plays_partitions, kafka.replication_factor),
        NewTopic(kafka.dead_letter_topic, 1, kafka.replication_factor),
        NewTopic(kafka.live_topic, 1, kafka.replication_factor),
        # Newest record per REGION|hour|partition key is the live final: compacted, never expired.
        NewTopic(
            kafka.live_hours_topic, 1, kafka.replication_factor, topic_configs={"cleanup.policy": "compact"}
        ),
        *(NewTopic(name, kafka.plays_partitions, kafka.replication_factor) for name in extra),
    ]


async def _until_listed(admin: AIOKafkaAdminClient, names: set[str], timeout_s: float = 10.0) -> None:
    """Wait until the broker's metadata lists ``names``: a created topic reaches the metadata cache
    after the create answer, and a client asking at once would be told it does not exist."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not names <= set(await admin.list_topics()):
        if asyncio.get_running_loop().time() > deadline:
            raise KafkaSetupError(f"created topics not listed within {timeout_s:.0f} s: {sorted(names)}")
        await asyncio.sleep(0.1)


async def ensure_topics(kafka: KafkaSettings, *extra: str, attempts: int = 60) -> None:
    """Create the product's topics if missing (retrying once a second while the broker boots)."""
    wanted = declared_topics(kafka, *extra)
    last: Exception | None = None
    for _ in range(attempts):
        admin = AIOKafkaAdminClient(**aiokafka_connection(kafka), request_timeout_ms=5000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in wanted if t.name not in existing]
            if missing:
                try:
                    await admin.create_topics(missing)
                except TopicAlreadyExistsError:
                    pass
                await _until_listed(admin, {t.name for t in wanted})
            return
        except Exception as exc:  # broker still electing its controller
            last = exc
            await asyncio.sleep(1)
        finally:
            await admin.close()
    raise KafkaSetupError(f"could not create Kafka topics: {last!r}")


async def drop_topics(kafka: KafkaSettings, *prefixes: str) -> list[str]:
    """Delete the declared topics of ``kafka`` and every topic whose name starts with a prefix
    (a Faust app's changelogs start with its id): what a test or benchmark made for itself."""
    admin = AIOKafkaAdminClient(**aiokafka_connection(kafka), request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        declared = {topic.name for topic in declared_topics(kafka)}
        doomed = sorted(
            name for name in existing if name in declared or (prefixes and name.startswith(prefixes))
        )
        if doomed:
            await admin.delete_topics(doomed)
        return doomed
    finally:
        await admin.close()


def main() -> int:
    """Create the topics of the KAFKA_* settings (and with --acls each service's ACLs) and name them."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--acls", action="store_true", help="add each service's ACLs (as the admin)")
    parser.add_argument("--streams-app-id", default="topsongs-live", help="the Faust app's id (ACL prefix)")
    args = parser.parse_args()
    kafka = KafkaSettings()
    asyncio.run(ensure_topics(kafka))
    names = ", ".join(topic.name for topic in declared_topics(kafka))
    print(f"[kafka-setup] topics ready on {kafka.bootstrap_servers}: {names}", flush=True)
    if args.acls:
        asyncio.run(ensure_acls(kafka, args.streams_app_id))
        users = sorted({acl.user for acl in service_acls(kafka, args.streams_app_id)})
        print(f"[kafka-setup] ACLs of {', '.join(users)} added", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

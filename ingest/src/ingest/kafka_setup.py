"""The product's Kafka topics, created where missing: `python -m ingest.topics` (compose's kafka-init).

devstack's Kafka, the cluster profile and compose all create them through ``ensure_topics``.
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings


class TopicsError(RuntimeError):
    """The topics could not be created or were not listed in time."""


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
            raise TopicsError(f"created topics not listed within {timeout_s:.0f} s: {sorted(names)}")
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
    raise TopicsError(f"could not create Kafka topics: {last!r}")


def main() -> int:
    """Create the topics of the KAFKA_* settings and name them."""
    kafka = KafkaSettings()
    asyncio.run(ensure_topics(kafka))
    names = ", ".join(topic.name for topic in declared_topics(kafka))
    print(f"[topics] ready on {kafka.bootstrap_servers}: {names}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

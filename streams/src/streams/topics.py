"""Kafka topics the worker reads and writes; names come from ``KAFKA_*`` settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TopicT
from topsongs_core.settings import KafkaSettings

_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@dataclass(frozen=True)
class LiveTopics:
    """The plays the worker counts, where poison goes, and the two topics it publishes."""

    plays: TopicT
    dead_letter: TopicT
    live: TopicT
    live_hours: TopicT

    @classmethod
    def declare(cls, app: faust.App, kafka: KafkaSettings) -> LiveTopics:
        """The topics of ``app``, named by ``kafka``."""
        return cls(
            plays=app.topic(kafka.plays_topic, partitions=kafka.plays_partitions, **_RAW),
            dead_letter=app.topic(kafka.dead_letter_topic, **_RAW),
            live=app.topic(kafka.live_topic, **_RAW),
            live_hours=app.topic(kafka.live_hours_topic, **_RAW),
        )

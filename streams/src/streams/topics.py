"""Kafka topics the worker reads and writes; names come from ``KAFKA_*`` settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.types import Message, TopicT
from topsongs_core.settings import KafkaSettings


class RawRecords(faust.Schema):
    """Keys and values as the bytes Kafka holds; the agents decode plays themselves (the contract).

    Faust's own path for a ``raw`` topic (the serializer registry, a codec looked up and run for the
    key and for the value) cost about 6 % of the worker's CPU per play for an identity.
    """

    def loads_key(self, app: Any, message: Message, **_: Any) -> bytes | None:
        """The record's key."""
        return message.key

    def loads_value(self, app: Any, message: Message, **_: Any) -> bytes | None:
        """The record's value."""
        return message.value


def raw() -> dict[str, Any]:
    """Topic options: bytes in (:class:`RawRecords`) and out (Faust's ``raw`` codec)."""
    schema = RawRecords(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    return {"schema": schema}


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
            plays=app.topic(kafka.plays_topic, partitions=kafka.plays_partitions, **raw()),
            dead_letter=app.topic(kafka.dead_letter_topic, **raw()),
            live=app.topic(kafka.live_topic, **raw()),
            live_hours=app.topic(kafka.live_hours_topic, **raw()),
        )

"""Kafka topics the worker reads and writes; names come from ``KAFKA_*`` settings."""

from __future__ import annotations

from typing import Any

from streams.app import app, settings

_RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}

plays_topic = app.topic(settings.kafka.plays_topic, partitions=settings.kafka.plays_partitions, **_RAW)
dead_letter_topic = app.topic(settings.kafka.dead_letter_topic, **_RAW)
live_topic = app.topic(settings.kafka.live_topic, **_RAW)
live_hours_topic = app.topic(settings.kafka.live_hours_topic, **_RAW)

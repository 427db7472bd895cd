"""The Faust app of the live-chart worker; agents, tables, topics and models live in their own modules."""

from __future__ import annotations

import faust
from faust.types import TransportT

from streams import transport
from streams.settings import StreamsSettings

settings = StreamsSettings()


class LiveApp(faust.App):
    """Faust's app with the inline-delivering Kafka consumer (see ``streams.transport``)."""

    def _new_transport(self) -> TransportT:
        return transport.Transport(self.conf.broker_consumer, self)


app = LiveApp(
    settings.app_id,
    broker=settings.broker_urls(),
    store="memory://",
    processing_guarantee=settings.processing_guarantee,
    topic_partitions=settings.kafka.plays_partitions,
    topic_replication_factor=settings.kafka.replication_factor,
    table_standby_replicas=0,
    consumer_auto_offset_reset="earliest",
    producer_acks=-1,
    web_enabled=False,
    stream_buffer_maxsize=settings.stream_buffer_maxsize,
)

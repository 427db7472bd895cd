"""The Faust app of the live-chart worker, built once per process; agents, tables and topics live apart."""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

import faust
from faust.types import EventT, HeadersArg, Message, TransportT
from topsongs_core.kafka_options import faust_broker_credentials

from streams import agents, metrics, transport
from streams.charts import LiveCharts
from streams.monitor import LeanMonitor
from streams.settings import StreamsSettings
from streams.tables import play_ledger
from streams.topics import LiveTopics


class LiveApp(faust.App):
    """Faust's app with the inline-delivering consumer (``streams.transport``) and its chart state."""

    charts: LiveCharts

    def _new_transport(self) -> TransportT:
        return transport.Transport(self.conf.broker_consumer, self)

    def create_event(self, key: Any, value: Any, headers: HeadersArg, message: Message) -> EventT:
        """Faust's, with the event class read from the settings once: ``self.conf.Event`` costs a
        settings lookup per play (~2 % of the worker's CPU)."""
        return self._event_class(self, key, value, headers, message)

    @cached_property
    def _event_class(self) -> type[EventT]:
        return cast(type[EventT], self.conf.Event)


def create_app(settings: StreamsSettings) -> LiveApp:
    """The worker's app for ``settings``: its topics, ledger table, chart state, agents and timers."""
    if not settings.metrics:
        metrics.switch_off()
    app = LiveApp(
        settings.app_id,
        broker=settings.broker_urls(),
        # Security protocol, SASL and TLS from KAFKA_* settings, as every other Kafka client gets them.
        broker_credentials=faust_broker_credentials(settings.kafka),
        broker_client_id=settings.kafka.client_id,
        store="memory://",
        processing_guarantee=settings.processing_guarantee,
        topic_partitions=settings.kafka.plays_partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_s,
        producer_acks=-1,
        web_enabled=False,
        stream_buffer_maxsize=settings.stream_buffer_maxsize,
        Monitor=LeanMonitor,
    )
    topics = LiveTopics.declare(app, settings.kafka)
    ledger = play_ledger(app, settings.kafka.plays_partitions)
    app.charts = LiveCharts(settings, ledger)
    agents.register(app, settings, topics, ledger, app.charts)
    return app

"""Faust's monitor without the per-event statistics nothing here reads.

Faust's default :class:`~faust.sensors.Monitor` updates counters per stream and per task for every
event (a ``str()`` cache in weak dictionaries, a dict of timings per event), about 5 % of the worker's
CPU per play; they feed Faust's web views, which the worker runs without (our metrics are
``streams.metrics``). The one per-event figure Faust itself reads back, each partition's last
inbound time (the consumer's "stream is not processing events" check), is still kept.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from faust.sensors import Monitor
from faust.types import TP, EventT, StreamT


class LeanMonitor(Monitor):
    """The ``Monitor`` setting of the worker's app."""

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT, event: EventT
    ) -> dict[str, Any] | None:
        """Only the partition's inbound time; no state, so ``on_stream_event_out`` records nothing."""
        self.stream_inbound_time[tp] = monotonic()
        return None

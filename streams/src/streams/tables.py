"""The changelogged play ledger: per-batch deltas, sealed minutes and late counts, keyed ``p|...``."""

from __future__ import annotations

from typing import Any

import faust

import streams.orjson_codec  # noqa: F401  (registers the "orjson" codec)


class PartitionKeyedTable(faust.Table):
    """A table whose keys name their partition, so one batch can write records of several partitions."""

    def partition_for_key(self, key: Any) -> int:
        """The ``p`` of a ``p|...`` key (Faust would use the current event's partition instead)."""
        return int(str(key).split("|", 1)[0])


def play_ledger(app: faust.App, partitions: int) -> PartitionKeyedTable:
    """The ledger table of ``app``, one changelog partition per plays partition."""
    table = PartitionKeyedTable(
        app,
        name="play-ledger",
        default=None,
        beacon=app.tables.beacon,
        partitions=partitions,
        schema=faust.Schema(key_serializer="json", value_serializer="orjson"),
        help="Per-batch deltas (counts, dedup fingerprints, late), sealed minutes and late totals.",
    )
    app.tables.add(table)
    return table

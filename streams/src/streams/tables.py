"""Changelogged tables: one record per (partition, region, song) holding counts, dedup ids and late counts."""

from __future__ import annotations

import faust

import streams.orjson_codec  # noqa: F401  (registers the "orjson" codec)
from streams.app import app, settings

song_tallies = app.Table(
    "song-tallies",
    default=None,
    partitions=settings.kafka.plays_partitions,
    schema=faust.Schema(key_serializer="json", value_serializer="orjson"),
    help="Per-minute play counts, recent event ids and late counts per song, keyed p|REGION|song_id.",
)

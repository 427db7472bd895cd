"""The live chart's messages: Kafka records of the streams worker and the WebSocket frames of dashboard-api.

Kafka, topic ``KAFKA_LIVE_TOPIC`` (key ``REGION|window``): one :class:`ChartPartials` per (region,
window) with each plays partition's exact top-N candidates; dashboard-api merges them (docs/live-charts.md).
Kafka, topic ``KAFKA_LIVE_HOURS_TOPIC`` (compacted, key ``REGION|hour|partition``): one :class:`HourFinal`
per closed UTC hour and plays partition (docs/reconciliation.md).
WebSocket ``/ws/live``: a :class:`LiveSnapshot`, then :class:`LiveUpdate` frames whose ``seq`` grows by
exactly 1 and :class:`LiveHeartbeat` frames repeating the last ``seq`` (docs/api.md); :data:`LiveMessage`.

Both services read :class:`LiveSettings` (env prefix ``LIVE_``), so the worker and the board agree on
the windows and on N. The JSON Schemas in ``docs/schemas/`` are generated from these models
(``python -m topsongs_core.schemas --write``).
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from topsongs_core.windows import DEFAULT_ROLLING_MINUTES, ChartWindow, chart_windows

IsoZ = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$",
        description="ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).",
        examples=["2025-04-23T14:29:00Z"],
    ),
]
Count = Annotated[int, Field(ge=0)]
Region = Annotated[str, Field(description="Region code (TOPSONGS_REGIONS).", examples=["US"])]
Movement = Literal["new", "up", "down", "same"]
Window = Annotated[str, Field(description="Chart window (LIVE_ROLLING_MINUTES + hour).", examples=["5m"])]


class _Record(BaseModel):
    """Fields in wire order; unknown fields are refused so a renamed field fails loudly."""

    # Defaults (the ``kind``/``type`` tags) are always written, so the published schema requires them.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)


class Candidate(_Record):
    """One song of a partition's top N: plays counted in this window by that partition alone."""

    song_id: str
    title: str
    artist: str
    plays: Count


class PartitionCandidates(_Record):
    """A plays partition's share of one (region, window): its late drops and top-N candidates."""

    late_dropped: Count
    entries: list[Candidate] = Field(description="plays desc, then song_id asc; at most LIVE_TOP_N")
    # Defaults: a record of a worker older than these fields still decodes.
    plays: Count = Field(default=0, description="Plays this partition counted in the window, all songs.")
    newest_play_at: IsoZ | None = Field(
        default=None,
        description="Event time of the newest play this partition counted in the region (any window);"
        " null when none since the worker started.",
    )
    newest_accepted_at: IsoZ | None = Field(
        default=None,
        description="Kafka timestamp (ingest's send of the accepted play) of the newest play this partition"
        " counted in the region since its previous record of the region; null when it counted none since."
        " The same in every window's record of one publish.",
    )
    accepted_plays: Count = Field(
        default=0,
        description="Plays this partition counted in the region since its previous record of the region"
        " (any window); the same in every window's record of one publish.",
    )


class ChartPartials(_Record):
    """Kafka record on the live topic (key ``REGION|window``): the candidates of some partitions."""

    kind: Literal["chart-partials"] = "chart-partials"
    region: Region
    window: Window
    window_start: IsoZ
    window_end: IsoZ
    generated_at: IsoZ
    partitions: int = Field(ge=1, description="How many partitions the plays topic has.")
    parts: dict[str, PartitionCandidates] = Field(
        description="Per plays partition (its number as a string): only those this record updates."
    )


class SongPlays(_Record):
    """One song of an hour's top N and its plays."""

    song_id: str
    plays: Count


class HourFinal(_Record):
    """Kafka record on the live-hours topic (key ``REGION|hour|partition``): a closed hour's final count."""

    kind: Literal["hour-final"] = "hour-final"
    region: Region
    hour: IsoZ = Field(description="Start of the UTC hour.")
    partition: Count = Field(description="The plays partition counted.")
    partitions: int = Field(ge=1, description="How many partitions the plays topic has.")
    plays: Count
    late_dropped: Count
    top: list[SongPlays] = Field(description="This partition's top N (plays desc, then song_id asc)")
    generated_at: IsoZ


class LiveEntry(_Record):
    """One row of a live chart: rank, song, plays and how it moved since the previous frame."""

    rank: int = Field(ge=1)
    song_id: str
    title: str
    artist: str
    plays: Count
    prev_rank: int | None = Field(description="Rank in the previous frame; null when new.")
    movement: Movement


class _Framed(_Record):
    type: str
    seq: Count = Field(description="Grows by exactly 1 per update of this (region, window).")


class LiveChart(_Framed):
    """A whole chart of one (region, window): what a snapshot and an update frame carry."""

    region: Region
    window: Window
    window_start: IsoZ
    window_end: IsoZ
    late_dropped: Count = Field(description="Plays of the window dropped as later than allowed.")
    plays: Count = Field(description="Plays counted in the window, all songs (plays/s: over its length).")
    newest_play_at: IsoZ | None = Field(
        description="Event time of the newest counted play of the region; null when none since the "
        "workers started. Its age tells whether the live worker keeps up.",
    )
    generated_at: IsoZ
    entries: list[LiveEntry] = Field(description="The exact top N: plays desc, then song_id asc.")


class LiveSnapshot(LiveChart):
    """First WebSocket frame (and ``GET /api/live``): the current chart."""

    type: Literal["snapshot"] = "snapshot"


class LiveUpdate(LiveChart):
    """A WebSocket frame with the whole new chart; its ``seq`` is the previous frame's plus 1."""

    type: Literal["update"] = "update"


class LiveHeartbeat(_Framed):
    """A WebSocket frame sent when a chart did not change for a while; repeats the last ``seq``."""

    type: Literal["heartbeat"] = "heartbeat"


LiveMessage = Annotated[LiveSnapshot | LiveUpdate | LiveHeartbeat, Field(discriminator="type")]
"""Any frame of ``/ws/live``."""

LIVE_MESSAGE: TypeAdapter[LiveSnapshot | LiveUpdate | LiveHeartbeat] = TypeAdapter(LiveMessage)


def encode(record: BaseModel) -> bytes:
    """The exact bytes of a record or frame (compact JSON in field order, UTF-8)."""
    return record.__pydantic_serializer__.to_json(record)


def decode_partials(raw: bytes | str) -> ChartPartials:
    """Parse and validate a live-topic record (raises ``pydantic.ValidationError``, a ValueError)."""
    return ChartPartials.model_validate_json(raw)


def decode_hour_final(raw: bytes | str) -> HourFinal:
    """Parse and validate a live-hours record (raises ``pydantic.ValidationError``, a ValueError)."""
    return HourFinal.model_validate_json(raw)


class LiveSettings(BaseSettings):
    """What the streams worker and dashboard-api must agree on (env prefix ``LIVE_``), read by both."""

    model_config = SettingsConfigDict(env_prefix="LIVE_", extra="ignore")

    top_n: int = Field(default=10, ge=1, description="Songs per live chart and per hour final.")
    rolling_minutes: Annotated[tuple[int, ...], NoDecode] = Field(
        default=DEFAULT_ROLLING_MINUTES,
        description="Rolling windows in minutes, e.g. LIVE_ROLLING_MINUTES=5,60.",
    )

    @field_validator("rolling_minutes", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [p for p in text.split(",") if p.strip()]
        return value

    @field_validator("rolling_minutes")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or min(value) < 1 or len(set(value)) != len(value):
            raise ValueError("rolling_minutes must be distinct whole minutes ≥ 1, at least one")
        return value

    @property
    def windows(self) -> tuple[ChartWindow, ...]:
        """The chart windows served, e.g. ``5m``, ``60m``, ``hour``."""
        return chart_windows(self.rolling_minutes)

    @property
    def window_names(self) -> tuple[str, ...]:
        """Names of :attr:`windows`, e.g. ``("5m", "60m", "hour")``."""
        return tuple(w.name for w in self.windows)

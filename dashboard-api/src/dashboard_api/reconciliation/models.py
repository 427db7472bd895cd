"""Response body of ``GET /api/reconciliation`` (documented in the OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class TopEntry(BaseModel):
    """One song of a top-N list."""

    song_id: str
    plays: int


class HourReconciliation(BaseModel):
    """Live against batch for one UTC hour; the numbers are null while either side is not final."""

    hour: datetime
    status: Literal["agree", "explained", "unexplained", "pending"]
    live_plays: int | None
    batch_plays: int | None
    difference: int | None
    late_dropped: int | None
    unexplained: int | None
    live_top: list[TopEntry]
    batch_top: list[TopEntry]


class Reconciliation(BaseModel):
    """The 24 hours of one region and UTC day; ``unexplained`` sums the hours' absolute drift (plays)."""

    region: str
    date: date
    live: Literal["available", "unavailable"] = Field(
        description="unavailable: the live-hours topic cannot be read now (Kafka down, or not read to "
        "its end yet); hours whose live finals were not read before are pending"
    )
    unexplained: int
    hours: list[HourReconciliation]

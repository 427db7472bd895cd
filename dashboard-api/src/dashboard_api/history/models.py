"""Response bodies of the history endpoints (documented in the OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

ChartStatus = Literal["open", "pending", "final", "restated"]


class Regions(BaseModel):
    """Regions the charts cover."""

    regions: list[str]


class ChartEntry(BaseModel):
    """One song's place in a chart."""

    rank: int
    song_id: str
    title: str
    artist: str
    plays: int


class Finality(BaseModel):
    """How final a chart is (docs/api.md, "Chart status")."""

    status: ChartStatus = Field(
        description="open: the interval has not ended (a daily chart shows the day so far, from its "
        "hours loaded until now); pending: it has, but the lake is not complete for it yet (no chart "
        "computed, or a daily chart of the hours so far); final: computed once the lake held every play "
        "Kafka had at the deadline; restated: recomputed since, because late plays arrived"
    )
    as_of: datetime | None = Field(description="When the chart was last computed (null: never)")
    restatements: int = Field(description="Recomputations that changed this region's plays")
    late_plays: int = Field(description="Plays added after the first final chart")


class HourlyChart(Finality):
    """The top songs of one region in one UTC hour."""

    region: str
    hour: datetime
    entries: list[ChartEntry]


class DailyChart(Finality):
    """The top songs of one region on one UTC day."""

    region: str
    date: date
    entries: list[ChartEntry]


class TrendPoint(BaseModel):
    """Plays of a song in one hour (null while the hour's chart is open or pending)."""

    hour: datetime
    plays: int | None
    status: ChartStatus


class Trend(BaseModel):
    """Plays per hour of one song in one region."""

    region: str
    song_id: str
    points: list[TrendPoint]

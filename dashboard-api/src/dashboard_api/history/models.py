"""Response bodies of the history endpoints (documented in the OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class Regions(BaseModel):
    """Regions the charts cover."""

    regions: list[str]


class ChartEntry(BaseModel):
    """One song's place in a chart."""

    rank: int
    song_id: str
    song: str
    artist: str
    plays: int


class HourlyChart(BaseModel):
    """The top songs of one region in one UTC hour."""

    region: str
    hour: datetime
    entries: list[ChartEntry]


class DailyChart(BaseModel):
    """The top songs of one region on one UTC day."""

    region: str
    date: date
    entries: list[ChartEntry]


class TrendPoint(BaseModel):
    """Plays of a song in one hour."""

    hour: datetime
    plays: int


class Trend(BaseModel):
    """Plays per hour of one song in one region."""

    region: str
    song_id: str
    points: list[TrendPoint]

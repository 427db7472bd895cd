"""The song catalog: pydantic models, the shipped copy and the LLM cache."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from topsongs_core.events import CONTROL_CHARACTERS

# Titles and artists are sent as plays: no control character, which ingest refuses (docs/api.md).
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=120, pattern=f"^[^{CONTROL_CHARACTERS}]*$"
    ),
]
SHIPPED = "catalog.json"


class Genre(BaseModel):
    """A music genre."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: str = ""


class Artist(BaseModel):
    """A performing artist with a main genre and a home region."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    genre: Name
    home_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class Song(BaseModel):
    """One song; ``song_id`` is the join key of the lake and the charts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    song_id: Annotated[str, StringConstraints(pattern=r"^s-\d{3,}$")]
    title: Name
    artist: Name
    genre: Name
    release_year: int = Field(ge=1900, le=2100)
    duration_ms: int = Field(ge=30_000, le=1_200_000)


class Catalog(BaseModel):
    """Songs, artists, genres and how much each region likes each genre."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["shipped", "llm"] = "shipped"
    genres: list[Genre] = Field(min_length=1)
    artists: list[Artist] = Field(min_length=1)
    songs: list[Song] = Field(min_length=1)
    region_tastes: dict[str, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        genres = {g.name for g in self.genres}
        artists = {a.name for a in self.artists}
        ids = [s.song_id for s in self.songs]
        if len(set(ids)) != len(ids):
            raise ValueError("song_id values must be unique")
        for song in self.songs:
            if song.genre not in genres:
                raise ValueError(f"{song.song_id}: unknown genre {song.genre!r}")
            if song.artist not in artists:
                raise ValueError(f"{song.song_id}: unknown artist {song.artist!r}")
        for region, weights in self.region_tastes.items():
            if any(w < 0 for w in weights.values()):
                raise ValueError(f"{region}: taste weights must be >= 0")
        return self

    def taste(self, region: str, genre: str) -> float:
        """How much ``region`` likes ``genre`` (1.0 where the catalog says nothing)."""
        return self.region_tastes.get(region, {}).get(genre, 1.0)


def shipped_catalog() -> Catalog:
    """The catalog committed as package data (used without an OpenAI key)."""
    raw = resources.files("simulator").joinpath("data", SHIPPED).read_bytes()
    return Catalog.model_validate_json(raw)


def read_catalog(path: Path) -> Catalog:
    """Load and validate a catalog JSON file."""
    return Catalog.model_validate_json(path.read_bytes())


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a catalog as pretty JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(catalog.model_dump_json(indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)

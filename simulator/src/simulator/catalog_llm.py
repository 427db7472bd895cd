"""Catalog generation with an OpenAI-compatible model, structured output, retries and a cache."""

from __future__ import annotations

import logging
import time
from typing import Any, TypeVar

import openai
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ConfigDict, ValidationError
from topsongs_core.settings import ContractSettings

from simulator.catalog import (
    Artist,
    Catalog,
    Genre,
    read_catalog,
    shipped_catalog,
    write_catalog,
)
from simulator.settings import SimulatorSettings

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
# Keywords that OpenAI's strict JSON-schema mode understands; the rest is left to pydantic.
_SCHEMA_KEYS = {"type", "properties", "required", "items", "enum", "$ref", "$defs", "anyOf"}
_RETRYABLE = (
    openai.APITimeoutError,
    openai.APIConnectionError,
    openai.RateLimitError,
    openai.InternalServerError,
    ValidationError,
)


class LlmCatalogError(RuntimeError):
    """The model could not produce a valid catalog after all attempts."""


class _Taste(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str
    genre: str
    weight: float


class CatalogOutline(BaseModel):
    """Genres, artists and regional tastes: the first structured answer."""

    model_config = ConfigDict(extra="forbid")
    genres: list[Genre]
    artists: list[Artist]
    region_tastes: list[_Taste]


class SongDraft(BaseModel):
    """A song as the model proposes it (the simulator assigns ``song_id``)."""

    model_config = ConfigDict(extra="forbid")
    title: str
    artist: str
    genre: str
    release_year: int
    duration_ms: int


class SongBatch(BaseModel):
    """One structured answer with a batch of songs."""

    model_config = ConfigDict(extra="forbid")
    songs: list[SongDraft]


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema reduced to what strict structured output accepts."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items() if k in _SCHEMA_KEYS}
        for key in ("properties", "$defs"):  # maps of names, not schemas
            if key in node:
                out[key] = {name: walk(sub) for name, sub in node[key].items()}
        if "properties" in node:
            out["required"] = list(node["properties"])
            out["additionalProperties"] = False
        return out

    return walk(model.model_json_schema())


def _ask(client: openai.OpenAI, settings: SimulatorSettings, model: type[M], prompt: str) -> M:
    """One structured request, retried with exponential backoff on transient failures."""
    fmt: ResponseFormatJSONSchema = {
        "type": "json_schema",
        "json_schema": {"name": model.__name__, "strict": True, "schema": strict_schema(model)},
    }
    for attempt in range(1, settings.llm_attempts + 1):
        try:
            reply = client.chat.completions.create(
                model=settings.openai_model,
                messages=[
                    {"role": "system", "content": "You invent realistic but fictional music data."},
                    {"role": "user", "content": prompt},
                ],
                response_format=fmt,
            )
            content = reply.choices[0].message.content if reply.choices else None
            return model.model_validate_json(content or "")
        except _RETRYABLE as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            if attempt == settings.llm_attempts:
                raise LlmCatalogError(f"{attempt} attempts failed, last: {reason}") from exc
            delay = settings.llm_backoff_s * 2 ** (attempt - 1)
            log.warning("LLM attempt %d failed (%s); retrying in %.1fs", attempt, reason, delay)
            time.sleep(delay)
        except openai.OpenAIError as exc:
            raise LlmCatalogError(f"{type(exc).__name__}: {exc}") from exc
    raise LlmCatalogError("no attempts made")  # pragma: no cover - llm_attempts >= 1


def generate_catalog(settings: SimulatorSettings) -> Catalog:
    """Ask the model for an outline, then songs in batches, and validate the whole catalog."""
    key = settings.openai_api_key
    client = openai.OpenAI(
        api_key=key.get_secret_value() if key else None,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_s,
        max_retries=0,
    )
    regions = ", ".join(ContractSettings().regions)
    outline = _ask(
        client,
        settings,
        CatalogOutline,
        (
            f"Invent {settings.llm_genres} music genres, {settings.llm_artists} fictional artists "
            f"(name, main genre, home_region as a two-letter code among {regions}) and, for every "
            f"region among {regions} and every genre, a taste weight between 0.1 and 5."
        ),
    )
    genres = {g.name for g in outline.genres}
    artists = {a.name: a for a in outline.artists if a.genre in genres}
    if not artists:
        raise LlmCatalogError("the model returned no artist with a known genre")
    songs: list[dict[str, Any]] = []
    calls_left = 3 * -(-settings.llm_songs // settings.llm_songs_per_call)
    while len(songs) < settings.llm_songs and calls_left > 0:
        calls_left -= 1
        want = min(settings.llm_songs_per_call, settings.llm_songs - len(songs))
        batch = _ask(
            client,
            settings,
            SongBatch,
            (
                f"Invent {want} songs by these artists only: {', '.join(sorted(artists))}. "
                f"Use these genres only: {', '.join(sorted(genres))}. release_year 1960-2025, "
                "duration_ms 90000-420000. Titles must be fictional."
            ),
        )
        for draft in batch.songs[:want]:
            if draft.artist in artists and draft.genre in genres:
                songs.append(draft.model_dump() | {"song_id": f"s-{len(songs) + 1:04d}"})
    tastes: dict[str, dict[str, float]] = {}
    for taste in outline.region_tastes:
        if taste.genre in genres and taste.weight >= 0:
            tastes.setdefault(taste.region.upper(), {})[taste.genre] = taste.weight
    try:
        return Catalog.model_validate(
            {
                "source": "llm",
                "genres": [g.model_dump() for g in outline.genres],
                "artists": [a.model_dump() for a in artists.values()],
                "songs": songs,
                "region_tastes": tastes,
            }
        )
    except ValidationError as exc:
        raise LlmCatalogError(f"the generated catalog is invalid: {exc}") from exc


def load_catalog(settings: SimulatorSettings, *, refresh: bool = False) -> Catalog:
    """The LLM catalog (cached) when a key is set, else, or on failure, the shipped one."""
    if settings.openai_api_key is None:
        return shipped_catalog()
    cache = settings.catalog_cache
    if cache.exists() and not refresh:
        try:
            return read_catalog(cache)
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable catalog cache %s (%s)", cache, exc)
    try:
        catalog = generate_catalog(settings)
    except LlmCatalogError as exc:
        log.warning("LLM catalog generation failed (%s); using the shipped catalog instead", exc)
        return shipped_catalog()
    write_catalog(catalog, cache)
    log.info("generated %d songs with %s; cached at %s", len(catalog.songs), settings.openai_model, cache)
    return catalog

"""Simulator settings (env prefix SIMULATOR_): the LLM endpoint, catalog cache, run defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimulatorSettings(BaseSettings):
    """Configuration of the simulator; OPENAI_* names are accepted beside SIMULATOR_* ones."""

    model_config = SettingsConfigDict(env_prefix="SIMULATOR_", extra="ignore", populate_by_name=True)

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SIMULATOR_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SIMULATOR_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
    )
    openai_model: str = Field(
        default="gpt-4o-mini",
        validation_alias=AliasChoices("SIMULATOR_OPENAI_MODEL", "OPENAI_MODEL"),
    )
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_attempts: int = Field(default=4, ge=1)
    llm_backoff_s: float = Field(default=1.0, ge=0)
    llm_songs: int = Field(default=500, ge=1)
    llm_songs_per_call: int = Field(default=100, ge=1)
    llm_artists: int = Field(default=120, ge=1)
    llm_genres: int = Field(default=12, ge=1)
    catalog_cache: Path = Path(".cache/simulator/catalog.json")
    ingest_url: str = "http://127.0.0.1:8000"

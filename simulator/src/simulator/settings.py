"""Simulator settings (env prefix SIMULATOR_): the LLM endpoint, catalog cache, run defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict
from topsongs_core.secret_settings import SecretSettings


class SimulatorSettings(SecretSettings):
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
    # Ingest's X-API-Key: the value, or a file holding it (devstack writes one into its state).
    ingest_api_key: SecretStr | None = None
    ingest_api_key_file: Path | None = None

    @field_validator("ingest_api_key")
    @classmethod
    def _key_not_empty(cls, key: SecretStr | None) -> SecretStr | None:
        """An empty key would be sent and refused; say so before the run."""
        if key is not None and not key.get_secret_value().strip():
            raise ValueError("SIMULATOR_INGEST_API_KEY is empty: unset it or set the key")
        return key

    def ingest_key(self, key_file: Path | None = None) -> str | None:
        """The API key to send to ingest: from ``key_file``, else the key, else its file; or None."""
        if key_file is None and self.ingest_api_key is not None:
            return self.ingest_api_key.get_secret_value().strip()
        key_file = key_file or self.ingest_api_key_file
        if key_file is None:
            return None
        key = key_file.read_text().strip()
        if not key:
            raise ValueError(f"the API key file {key_file} is empty")
        return key

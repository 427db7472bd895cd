"""Settings of the ingest service (env prefix INGEST_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from topsongs_core.secret_settings import SecretSettings
from topsongs_core.settings import ContractSettings, KafkaSettings


class IngestSettings(SecretSettings):
    """Limits, producer tuning and auth of `POST /play` and `POST /plays`."""

    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    max_batch_events: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # Named keys stored hashed, read again when the file changes (ingest/src/ingest/api_keys.py).
    api_keys_file: Path | None = None
    # One more key given as a value, named "default". With neither set there is no X-API-Key
    # check; with either, every play request must carry a valid key. Empty is refused, not "off".
    api_key: SecretStr | None = None
    produce_timeout_s: float = Field(default=5.0, gt=0)
    retry_after_s: int = Field(default=2, ge=1)
    linger_ms: int = Field(default=5, ge=0)
    max_batch_bytes: int = Field(default=512 * 1024, ge=16 * 1024)
    compression: str | None = None
    # Per client (API key name, or address without keys) and per worker process; far above what
    # one laptop sends (`bench ingest_throughput` reaches about 80,000 events/s over 2 workers).
    rate_limit_events_per_s: float = Field(default=100_000, gt=0)
    rate_limit_burst: int = Field(default=100_000, ge=1)
    # prometheus_client's multiprocess folder (set by whoever starts several uvicorn workers): every
    # worker writes its samples there and /metrics merges them, so none is lost or counted twice.
    metrics_multiproc_dir: Path | None = Field(default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR")
    # False removes the instrumentation's work (every metric call does nothing; /metrics shows ingest's
    # metrics at zero): only to measure what it costs, `bench instrumentation`.
    metrics: bool = True
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)

    @field_validator("api_key")
    @classmethod
    def _key_not_empty(cls, key: SecretStr | None) -> SecretStr | None:
        """An empty key would let every request in while looking configured."""
        if key is not None and not key.get_secret_value().strip():
            raise ValueError("INGEST_API_KEY is empty: unset it to run without a key, or set a key")
        return key

    @model_validator(mode="after")
    def _a_batch_fits_the_burst(self) -> IngestSettings:
        """A batch larger than the burst could never be accepted, however long its client waits."""
        if self.rate_limit_burst < self.max_batch_events:
            raise ValueError(
                f"INGEST_RATE_LIMIT_BURST ({self.rate_limit_burst}) is below "
                f"INGEST_MAX_BATCH_EVENTS ({self.max_batch_events})"
            )
        return self

    @property
    def requires_key(self) -> bool:
        """Whether play requests must carry an X-API-Key."""
        return self.api_key is not None or self.api_keys_file is not None

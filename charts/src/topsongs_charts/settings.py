"""Settings of the batch charts (env prefix CHARTS_); engines come from the shared settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from topsongs_core.catalog import SONGS_KEY
from topsongs_core.settings import ContractSettings, PostgresSettings, S3Settings


class ChartsSettings(BaseSettings):
    """Where the lake's datasets live and how big a chart is."""

    model_config = SettingsConfigDict(env_prefix="CHARTS_", extra="ignore")

    top_n: int = Field(default=10, ge=1, le=1000)
    raw_prefix: str = "raw/plays"
    enriched_prefix: str = "enriched/plays"
    catalog_key: str = SONGS_KEY
    # Spark's file-sink log is honoured when present; de-duplication by event_id holds regardless.
    honour_spark_log: bool = True
    s3: S3Settings = Field(default_factory=S3Settings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)

"""Settings of the batch charts (env prefix CHARTS_); engines come from the shared settings."""

from __future__ import annotations

from datetime import timedelta

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from topsongs_core.catalog import SONGS_KEY
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import ContractSettings, KafkaSettings, PostgresSettings, S3Settings


class ChartsSettings(BaseSettings):
    """Where the lake's datasets live, how big a chart is, and when an interval is complete."""

    model_config = SettingsConfigDict(env_prefix="CHARTS_", extra="ignore", populate_by_name=True)

    top_n: int = Field(default=10, ge=1, le=1000)
    enriched_prefix: str = "enriched/plays"
    catalog_key: str = SONGS_KEY
    # Spark's file-sink log is honoured when present; de-duplication by event_id holds regardless.
    honour_spark_log: bool = True
    deadline_grace: timedelta = Field(
        default=timedelta(seconds=10),
        description="An interval's deadline is its end plus this (a play's way from ingest into Kafka).",
    )
    lake_wait_limit: timedelta = Field(
        default=timedelta(minutes=15),
        description="How long a run waits for the lake to hold Kafka's plays before it fails loudly.",
    )
    lake_poll_s: float = Field(default=5.0, gt=0)
    lock_timeout: timedelta = Field(
        default=timedelta(minutes=10),
        description="How long a run waits for another writer of the same hour or day before failing.",
    )
    claims_kept_past_horizon: timedelta = Field(
        default=timedelta(days=1),
        description=(
            "play_claims rows are deleted once their hour is this much older than the ingest horizon"
            " (TOPSONGS_MAX_EVENT_AGE): no copy of those plays can be accepted any more, and this much"
            " covers a lake that lags."
        ),
    )
    restate_batch_hours: int = Field(
        default=24, ge=1, description="At most this many stale hours per restatement run, oldest first."
    )
    # The lag monitor (python -m topsongs_charts.monitor): where it serves its metrics, how often it
    # measures, and the live worker's consumer group (its STREAMS_APP_ID: one setting both read).
    monitor_host: str = "127.0.0.1"
    monitor_port: int = 9108
    monitor_interval_s: float = Field(default=5.0, gt=0)
    live_group: str = Field(
        default="topsongs-live", validation_alias=AliasChoices("CHARTS_LIVE_GROUP", "STREAMS_APP_ID")
    )
    s3: S3Settings = Field(default_factory=S3Settings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)
    # Where the lake job writes the raw plays (LAKE_PLAYS_PATH): the same setting the job reads.
    lake: LakeLayout = Field(default_factory=LakeLayout)

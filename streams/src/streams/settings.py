"""Settings of the live-chart stream processor (env prefix STREAMS_)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from topsongs_core.live import LiveSettings
from topsongs_core.settings import ContractSettings, KafkaSettings


class StreamsSettings(BaseSettings):
    """How the Faust worker counts plays and how often it publishes chart candidates."""

    model_config = SettingsConfigDict(env_prefix="STREAMS_", extra="ignore")

    app_id: str = "topsongs-live"
    allowed_lateness: timedelta = timedelta(minutes=10)
    dedup_horizon: timedelta = timedelta(minutes=10)
    # 20 a second: under a steady stream of plays a play waits up to one interval for the next
    # publish, and POST → WebSocket p99 ≤ 100 ms needs it (docs/live-charts.md). Sparse changes go out
    # at once at any rate (leading edge).
    publish_rate_hz: float = Field(default=20.0, gt=0)
    republish_interval_s: float = Field(default=5.0, gt=0)
    batch_max: int = Field(default=10_000, ge=1)
    batch_within_s: float = Field(default=0.01, gt=0)
    # Events buffered between the consumer and the agent. Faust's 4,096 makes the consumer pause and
    # resume its partitions over and over at full speed (half the throughput); see docs/live-charts.md.
    stream_buffer_maxsize: int = Field(default=32_768, ge=1)
    compact_interval_s: float = Field(default=10.0, gt=0)
    processing_guarantee: str = "at_least_once"
    # How long the group waits for a silent worker before giving its partitions to the others
    # (Faust's broker_session_timeout; heartbeats go every 3 s). Faust's own default.
    session_timeout_s: float = Field(default=60.0, gt=0)
    metrics_port: int | None = None
    # Where the metrics endpoint listens (the cluster profile gives each worker its own address).
    metrics_host: str = "127.0.0.1"
    # False removes the instrumentation's work (every metric call does nothing; the endpoint, when
    # served, shows the worker's metrics at zero): only to measure what it costs, `bench instrumentation`.
    metrics: bool = True
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)
    # The windows and N of every chart, shared with dashboard-api (LIVE_ROLLING_MINUTES, LIVE_TOP_N).
    live: LiveSettings = Field(default_factory=LiveSettings)

    @property
    def retention_minutes(self) -> int:
        """How many minute buckets a song keeps: the longest window plus the allowed lateness."""
        longest = max(window.minutes for window in self.live.windows)
        return longest + int(self.allowed_lateness.total_seconds() // 60) + 1

    @property
    def hours_kept(self) -> int:
        """How many closed hours a partition keeps republishing late drops for: as old as a play may be."""
        return int(self.contract.max_event_age.total_seconds() // 3600) + 2

    def broker_urls(self) -> str:
        """Faust broker URL(s) built from ``KAFKA_BOOTSTRAP_SERVERS``."""
        hosts = [h.strip() for h in self.kafka.bootstrap_servers.split(",") if h.strip()]
        return ";".join(f"kafka://{host}" for host in hosts)

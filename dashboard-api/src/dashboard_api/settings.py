"""Settings of dashboard-api (env prefix DASHBOARD_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict
from topsongs_core.live import LiveSettings
from topsongs_core.secret_settings import SecretSettings
from topsongs_core.settings import ContractSettings, KafkaSettings, PostgresSettings
from topsongs_core.workspace import repo_root


class DashboardSettings(SecretSettings):
    """Where dashboard-api listens, what it reads and which browser origins it trusts."""

    model_config = SettingsConfigDict(env_prefix="DASHBOARD_", extra="ignore")

    # The app binds nothing itself (uvicorn's --host/--port do); tests and benchmarks serve it here.
    port: int = 8080
    ui_dist: Path = Field(default_factory=lambda: repo_root() / "ui" / "dist")
    allowed_origins: tuple[str, ...] = ("http://127.0.0.1:8080", "http://localhost:8080")
    # Updates/s per (region, window) for a /ws/live client that asks for no `rate`, and the most a
    # client may ask for (docs/live-charts.md, "Push rate per connection"; a wall display asks for 1).
    live_rate_hz: float = Field(default=20.0, gt=0)
    live_max_rate_hz: float = Field(default=20.0, gt=0)
    live_heartbeat_s: float = 15.0
    live_client_queue: int = 64
    live_backlog: int = 5000
    # Abuse limits per process (docs/security.md); defaults a laptop never trips. /ws/live refuses
    # a client over either cap with 1013 (try again later).
    live_max_clients: int = Field(default=20000, ge=1)
    live_max_clients_per_host: int = Field(default=1000, ge=1)
    # Clients send nothing the server acts on: a bigger inbound frame closes the connection (1009).
    live_max_frame_bytes: int = Field(default=4096, ge=125)
    # A client that does not answer a ping in time (one that stopped reading) is cut off.
    live_ping_interval_s: float = Field(default=10.0, gt=0)
    live_ping_timeout_s: float = Field(default=5.0, gt=0)
    # How long the start waits for the live topic before serving with the live part offline.
    live_connect_wait_s: float = Field(default=5.0, ge=0)
    # PostgreSQL sessions of each process's read-only pool.
    history_pool_size: int = Field(default=10, ge=1)
    # Abuse limits of history reads (docs/security.md): past either timeout a read answers 503 with
    # Retry-After; trends (up to 366 days each) hold at most `history_heavy_queries` sessions at once.
    history_statement_timeout_s: float = Field(default=5.0, gt=0)
    history_acquire_timeout_s: float = Field(default=2.0, gt=0)
    history_heavy_queries: int = Field(default=4, ge=1)
    history_cache_closed_s: float = 60.0
    history_cache_open_s: float = 2.0
    # The history cache every process shares: a redis:// or rediss:// URL (password included; empty
    # means each process keeps only its own cache). Final charts stay there until restated, at most
    # `history_cache_shared_s`; open or empty ones for `history_cache_open_s`, as in the process.
    history_redis_url: SecretStr = SecretStr("")
    history_redis_prefix: str = "topsongs:history:"
    history_cache_shared_s: float = Field(default=3600.0, gt=0)
    # At its start a process copies up to this many final charts from Redis into its memory, so a
    # restart or a new replica does not begin with every read a miss (0: no warm-up).
    history_cache_warm_max: int = Field(default=4096, ge=0)
    # Then it reads the final charts of the hours and of the days loaded last, this many of each, in
    # every region, from PostgreSQL (two statements), so that even the first start's first second is
    # not all misses for the charts most read (0: none).
    history_cache_warm_intervals: int = Field(default=48, ge=0)
    # Redis answers in well under a millisecond: past this a read goes to PostgreSQL instead, and
    # Redis is left alone for `history_redis_retry_s` before it is tried again. Not much lower: on a
    # busy box the event loop's own lag counts too (at 50 ms the 2-core bench box tripped it).
    history_redis_timeout_s: float = Field(default=0.1, gt=0)
    history_redis_retry_s: float = Field(default=1.0, ge=0)
    # How often each process reads which charts were (re)loaded since, to drop cached copies of them.
    history_loads_poll_s: float = Field(default=1.0, gt=0)
    # The drift gauges cover the whole hours of this trailing window, refreshed at this interval.
    reconciliation_window_hours: int = Field(default=48, ge=1)
    reconciliation_interval_s: float = Field(default=60.0, gt=0)
    # prometheus_client's multiprocess folder (set by whoever starts several uvicorn workers): every
    # worker writes its samples there and /metrics merges them, so none is lost or counted twice.
    # The pipeline page's source (devstack's Prometheus by default); answers are cached this long.
    prometheus_url: str = "http://127.0.0.1:9190"
    prometheus_timeout_s: float = Field(default=2.0, gt=0)
    pipeline_cache_s: float = Field(default=3.0, ge=0)
    # Sign-in through an OpenID Connect provider (docs/security.md, "Dashboard sign-in"). An empty
    # issuer turns it off: every route answers anyone who reaches the port, as before.
    oidc_issuer: str = ""
    # The UI's client at the provider (a public client using the authorization code with PKCE).
    oidc_client_id: str = ""
    # The `aud` a token must carry; empty means the client id (Dex, Keycloak's ID tokens). Auth0 and
    # others give access tokens their API's identifier instead.
    oidc_audience: str = ""
    # What the UI asks for; `groups` is how Dex puts a user's groups into the token, and
    # `offline_access` gets a refresh token, with which the UI renews the access token in place.
    oidc_scopes: str = "openid profile email groups offline_access"
    # The operator routes (reconciliation, pipeline, readiness, the API's docs) need this role in
    # `oidc_roles_claim` (a dotted path, e.g. `realm_access.roles` for Keycloak); empty: any user.
    oidc_operator_role: str = ""
    oidc_roles_claim: str = "groups"
    # The provider's keys are re-read this often, and at once for a key id not seen before (at most
    # once per `oidc_jwks_min_refresh_s`, so unknown ids cannot make it hammer the provider).
    oidc_jwks_cache_s: float = Field(default=300.0, gt=0)
    oidc_jwks_min_refresh_s: float = Field(default=10.0, ge=0)
    oidc_leeway_s: float = Field(default=30.0, ge=0)
    oidc_timeout_s: float = Field(default=5.0, gt=0)
    metrics_multiproc_dir: Path | None = Field(default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)
    # The windows and N of the live charts: LIVE_* variables, read by the streams worker as well.
    live: LiveSettings = Field(default_factory=LiveSettings)

    @property
    def sign_in(self) -> bool:
        """Whether requests need a token from the OpenID Connect provider."""
        return bool(self.oidc_issuer)

    @model_validator(mode="after")
    def _client_with_issuer(self) -> DashboardSettings:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("DASHBOARD_OIDC_ISSUER is set but DASHBOARD_OIDC_CLIENT_ID is empty")
        return self

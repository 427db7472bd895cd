"""Engine endpoints shared by every service, each under its own env prefix.

Pointing a deployment at remote engines is a matter of setting these variables
(e.g. ``KAFKA_BOOTSTRAP_SERVERS=broker-1:9092,broker-2:9092``); no code changes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from topsongs_core.secret_settings import SecretSettings, refuse_builtin

DEFAULT_REGIONS = ("US", "GB", "DE", "FR", "BR", "MX", "JP", "KR", "IN", "AU")


class KafkaSettings(SecretSettings):
    """Where the Kafka cluster is and which topics the product uses."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:19092"
    plays_topic: str = "song-plays"
    dead_letter_topic: str = "song-plays-dlq"
    live_topic: str = "top-songs-live"
    # Final live counts per (region, UTC hour, plays partition), compacted (docs/reconciliation.md).
    # Empty means "<live_topic>-hours", so a run with a private live topic never writes the shared one.
    live_hours_topic: str = ""
    # dashboard-api reads the live topic by assigning its partitions itself; it commits its position
    # under this group (never joining it) so the lag monitor can measure it from outside.
    dashboard_group: str = "topsongs-dashboard-live"
    plays_partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    # How every client connects (topsongs_core.kafka_options turns these into each library's options).
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    # None means PLAIN under a SASL protocol.
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # PEM files. No CA means the system's trusted CAs; cert + key are only for brokers asking for mTLS
    # (the cert file may hold the key too).
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_key_password: SecretStr | None = None
    # Sent with every request (broker logs, quotas); None lets each library name itself.
    client_id: str | None = None

    @model_validator(mode="after")
    def _name_hours_topic(self) -> KafkaSettings:
        if not self.live_hours_topic:
            self.live_hours_topic = f"{self.live_topic}-hours"
        return self

    @field_validator("security_protocol", "sasl_mechanism", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        # Kafka's Java clients take these in any case; aiokafka only in upper case.
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _complete_security(self) -> KafkaSettings:
        # Fail at start-up naming the setting, not at the first request with a broker's vague error.
        if self.security_protocol.startswith("SASL_") and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_SASL_USERNAME and "
                "KAFKA_SASL_PASSWORD"
            )
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError("KAFKA_SSL_KEYFILE is set without KAFKA_SSL_CERTFILE")
        return self


class PostgresSettings(SecretSettings):
    """The PostgreSQL database holding the chart tables (and Airflow's metadata locally)."""

    model_config = SettingsConfigDict(env_prefix="PG_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 15432
    database: str = "topsongs"
    user: str = "topsongs"
    # Built-in passwords for a laptop only (TOPSONGS_MODE=laptop); elsewhere they are refused.
    password: SecretStr = SecretStr("topsongs")
    reader_user: str = "topsongs_reader"
    reader_password: SecretStr = SecretStr("topsongs_reader")

    @model_validator(mode="after")
    def _no_builtin_passwords(self) -> PostgresSettings:
        refuse_builtin(self, "password", "reader_password")
        return self

    def dsn(self, *, reader: bool = False, database: str | None = None, scheme: str = "postgresql") -> str:
        """A URL for the loader role, or the read-only role with ``reader=True``; ``scheme`` names the
        driver for SQLAlchemy (``postgresql+psycopg2``)."""
        user, pw = (self.reader_user, self.reader_password) if reader else (self.user, self.password)
        # Percent-encoded: a password with @ : / # % would otherwise end the user info early.
        userinfo = f"{quote(user, safe='')}:{quote(pw.get_secret_value(), safe='')}"
        return f"{scheme}://{userinfo}@{self.host}:{self.port}/{quote(database or self.database, safe='')}"


class S3Settings(SecretSettings):
    """The S3-compatible object store holding the lake (versitygw locally, AWS S3 or MinIO remotely)."""

    model_config = SettingsConfigDict(env_prefix="S3_", extra="ignore")

    endpoint_url: str | None = "http://127.0.0.1:17070"
    # "keys": the access key pair below. "default-chain": the AWS SDKs' default credential chain
    # (AWS_* variables, ~/.aws profiles, web identity, container or instance roles) — for AWS S3
    # without long-lived keys. Every client of the lake (boto3, pyarrow, Spark S3A) honours it.
    credentials: Literal["keys", "default-chain"] = "keys"
    access_key_id: str = "topsongs"
    # Built-in for a laptop only (TOPSONGS_MODE=laptop); elsewhere it is refused.
    secret_access_key: SecretStr = SecretStr("topsongs-secret")
    region: str = "us-east-1"
    bucket: str = "lake"
    path_style: bool = True

    @model_validator(mode="after")
    def _no_builtin_key(self) -> S3Settings:
        if self.credentials == "keys":
            refuse_builtin(self, "secret_access_key")
        return self

    def key_pair(self) -> tuple[str, str] | None:
        """The access key id and secret to pass explicitly, or None to let the SDK find credentials."""
        if self.credentials == "default-chain":
            return None
        return self.access_key_id, self.secret_access_key.get_secret_value()


class ContractSettings(BaseSettings):
    """Rules of the play-event contract that a deployment may tune."""

    model_config = SettingsConfigDict(env_prefix="TOPSONGS_", extra="ignore")

    regions: Annotated[tuple[str, ...], NoDecode] = DEFAULT_REGIONS
    max_event_age: timedelta = timedelta(days=7)
    max_future_skew: timedelta = timedelta(minutes=5)

    @field_validator("regions", mode="before")
    @classmethod
    def _split_regions(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(code.strip().upper() for code in value.split(",") if code.strip())
        return value

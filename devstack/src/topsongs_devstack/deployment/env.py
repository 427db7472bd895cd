"""The settings compose gives the services, grouped as the settings classes that read them.

A `${VAR:-default}` takes its name and default from the pydantic-settings field it sets, so a renamed
field or a changed default moves compose with it. Secrets reach our programs as files compose makes
from .env (``secret_file``, read through ``<VARIABLE>_FILE``); the few an engine can only take from
its environment are `${VAR:?...}`: compose refuses to start without them.
"""

from __future__ import annotations

from typing import Any

from dashboard_api.settings import DashboardSettings
from ingest.settings import IngestSettings
from pydantic_settings import BaseSettings
from topsongs_charts.lake_accounts import ACCOUNTS, LakeAccountSecrets, access_key
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.live import LiveSettings
from topsongs_core.settings import ContractSettings, KafkaSettings, PostgresSettings, S3Settings

from topsongs_devstack.deployment.model import Env

DOT_ENV = "set it in .env (make compose-up writes one)"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(_text(v) for v in value)
    return str(value)


def env_name(cls: type[BaseSettings], field: str) -> str:
    """The variable a settings field reads (KeyError for a field the class lacks)."""
    cls.model_fields[field]
    return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


def knob(cls: type[BaseSettings], field: str, default: Any = None, *, variable: str | None = None) -> str:
    """`${VAR:-default}` for a settings field: its own variable (or ``variable``) and default."""
    value = cls.model_fields[field].default if default is None else default
    return f"${{{variable or env_name(cls, field)}:-{_text(value)}}}"


def secret(variable: str, why: str = DOT_ENV) -> str:
    """A value compose refuses to start without, naming the variable."""
    return f"${{{variable}:?{variable} is required, {why}}}"


# Where compose puts each secret a service lists: a file made from the .env variable of its name
# (compose.yaml's top-level `secrets`, source `environment`), so the value is in no container's
# environment; the settings read it through `<VARIABLE>_FILE` (topsongs_core.secret_settings).
SECRETS_DIR = "/run/secrets"


def secret_file(variable: str) -> str:
    """The file compose makes from .env's ``variable`` in a service that lists it (compose.py)."""
    return f"{SECRETS_DIR}/{variable.lower()}"


def url_cmd(before: str, variable: str, after: str) -> str:
    """An Airflow `_CMD` value (run without a shell) printing a URL with the secret ``variable``
    read from its file between ``before`` and ``after``: the URL is in no environment."""
    return f'sh -c \'printf "%s%s%s" "{before}" "$$(cat {secret_file(variable)})" "{after}"\''


def optional(variable: str) -> str:
    """A value from .env that may be empty (the cluster's passwords: their services check them)."""
    return f"${{{variable}:-}}"


def kafka(bootstrap: str = "kafka:9092") -> dict[str, str | None]:
    """topsongs_core KafkaSettings on the single-node broker (PLAINTEXT inside compose's network)."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_PLAYS_TOPIC": knob(KafkaSettings, "plays_topic"),
        "KAFKA_DEAD_LETTER_TOPIC": knob(KafkaSettings, "dead_letter_topic"),
        "KAFKA_LIVE_TOPIC": knob(KafkaSettings, "live_topic"),
        # empty in the class means "<live topic>-hours"
        "KAFKA_LIVE_HOURS_TOPIC": knob(KafkaSettings, "live_hours_topic", "top-songs-live-hours"),
        # dashboard-api commits its live position there; the lag monitor reads it
        "KAFKA_DASHBOARD_GROUP": knob(KafkaSettings, "dashboard_group"),
        "KAFKA_PLAYS_PARTITIONS": knob(KafkaSettings, "plays_partitions"),
        "KAFKA_REPLICATION_FACTOR": "1",
    }


def postgres(host: str = "postgres") -> dict[str, str | None]:
    """PostgresSettings: the writer and the read-only role."""
    return {
        "PG_HOST": host,
        "PG_PORT": "5432",
        "PG_DATABASE": knob(PostgresSettings, "database"),
        "PG_USER": knob(PostgresSettings, "user"),
        "PG_PASSWORD_FILE": secret_file("PG_PASSWORD"),
        "PG_READER_USER": knob(PostgresSettings, "reader_user"),
        "PG_READER_PASSWORD_FILE": secret_file("PG_READER_PASSWORD"),
    }


def s3(endpoint: str = "http://s3:7070", account: str | None = None) -> dict[str, str | None]:
    """S3Settings on the compose S3 store: with ``account``, that lake account's key (s3-init makes
    it, topsongs_charts.lake_accounts); without, the store's root key (the store and s3-init only)."""
    if account is None:
        key, source = knob(S3Settings, "access_key_id"), "S3_SECRET_ACCESS_KEY"
    else:
        key, source = access_key(account), account_secret(account)
    return {
        "S3_ENDPOINT_URL": endpoint,
        "S3_ACCESS_KEY_ID": key,
        "S3_SECRET_ACCESS_KEY_FILE": secret_file(source),
        "S3_REGION": knob(S3Settings, "region"),
        "S3_BUCKET": knob(S3Settings, "bucket"),
        "S3_PATH_STYLE": "true",
    }


def account_secret(account: str) -> str:
    """The .env variable holding a lake account's secret (LakeAccountSecrets reads it in s3-init)."""
    return f"{LakeAccountSecrets.model_config.get('env_prefix', '')}{account}".upper()


def lake_accounts() -> dict[str, str | None]:
    """Every lake account's secret: what s3-init sets the accounts up with."""
    return {f"{account_secret(a)}_FILE": secret_file(account_secret(a)) for a in ACCOUNTS}


def contract() -> dict[str, str | None]:
    """ContractSettings: what a valid play is. The horizon is ingest's played_at limit, the live
    worker's hours and the restatement's window at once (docs/batch.md)."""
    return {
        "TOPSONGS_REGIONS": knob(ContractSettings, "regions"),
        "TOPSONGS_MAX_EVENT_AGE": knob(ContractSettings, "max_event_age", "P7D"),
    }


def ingest() -> dict[str, str | None]:
    """IngestSettings a deployment tunes, and its key: clients send it as X-API-Key (the simulator
    too); scripts/compose-env.sh makes one."""
    return {
        "INGEST_MAX_BATCH_EVENTS": knob(IngestSettings, "max_batch_events"),
        "INGEST_PRODUCE_TIMEOUT_S": knob(IngestSettings, "produce_timeout_s"),
        "INGEST_API_KEY_FILE": secret_file("INGEST_API_KEY"),
    }


def live() -> dict[str, str | None]:
    """LiveSettings: streams writes the live charts, dashboard-api reads them; both must agree."""
    return {
        "LIVE_TOP_N": knob(LiveSettings, "top_n"),
        "LIVE_ROLLING_MINUTES": knob(LiveSettings, "rolling_minutes"),
    }


def signin() -> dict[str, str | None]:
    """dashboard-api's sign-in through an OpenID Connect provider (docs/security.md): off while
    DASHBOARD_OIDC_ISSUER is empty; the browser and the API must both reach the issuer's URL."""
    return {
        "DASHBOARD_OIDC_ISSUER": knob(DashboardSettings, "oidc_issuer"),
        "DASHBOARD_OIDC_CLIENT_ID": knob(DashboardSettings, "oidc_client_id"),
        "DASHBOARD_OIDC_OPERATOR_ROLE": knob(DashboardSettings, "oidc_operator_role"),
        "DASHBOARD_OIDC_ROLES_CLAIM": knob(DashboardSettings, "oidc_roles_claim"),
    }


def lake() -> dict[str, str | None]:
    """LakeLayout: the lake job writes it, the batch charts read it."""
    return {"LAKE_PLAYS_PATH": knob(LakeLayout, "plays_path")}


# prometheus_client's multiprocess folder in ingest and dashboard-api, mounted as a tmpfs: each
# container start begins without the samples of a previous start's workers.
METRICS_DIR = "/run/topsongs-metrics"


def multiprocess() -> dict[str, str | None]:
    """PROMETHEUS_MULTIPROC_DIR of a service running several uvicorn workers on one port: every worker
    writes its samples there and /metrics merges them."""
    return {"PROMETHEUS_MULTIPROC_DIR": METRICS_DIR}


def merged(*groups: Env) -> dict[str, str | None]:
    """The groups in order, a later one's key over an earlier one's."""
    out: dict[str, str | None] = {}
    for group in groups:
        out.update(group)
    return out

"""One S3 account per client of the lake, each allowed only its own key prefixes.

versitygw's internal IAM (`--iam-dir`) holds the accounts (role ``user``: they own no bucket and
cannot make one); the lake bucket's policy, set by root, names what each may do under which prefix.
Whoever holds the store's root key applies them: devstack (secrets in 0600 files) and compose's
``s3-init`` (secrets from ``.env``), both through :func:`ensure`.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from topsongs_core.lake_layout import LakeLayout, dataset_uri
from topsongs_core.secret_settings import SecretSettings
from topsongs_core.settings import S3Settings

from topsongs_charts.settings import ChartsSettings

# The processes that reach the lake: the lake job (Spark S3A), Airflow's tasks (pyarrow, boto3),
# the catalog upload (`simulator catalog --upload`) and the lag monitor (it reads the checkpoint).
LAKE, AIRFLOW, CATALOG, MONITOR = "lake", "airflow", "catalog", "monitor"
ACCOUNTS = (LAKE, AIRFLOW, CATALOG, MONITOR)

READ = ("s3:GetObject",)
WRITE = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
READ_WRITE = (*READ, *WRITE, "s3:DeleteObject")
LIST = ("s3:ListBucket",)


class LakeAccountSecrets(SecretSettings):
    """Each account's secret, for whoever sets the accounts up with the root key (compose's s3-init
    reads them from .env: S3_SECRET_LAKE, ..._AIRFLOW, ..._CATALOG, ..._MONITOR). None set: the
    store's accounts are its operator's business (a managed S3, IAM), only the bucket is made."""

    model_config = SettingsConfigDict(env_prefix="S3_SECRET_", extra="ignore")

    lake: SecretStr | None = None
    airflow: SecretStr | None = None
    catalog: SecretStr | None = None
    monitor: SecretStr | None = None

    def by_account(self) -> dict[str, str] | None:
        """The secrets by account name, or None when none is set; some but not all is an error."""
        given = {a: s.get_secret_value() for a in ACCOUNTS if (s := getattr(self, a)) is not None}
        if not given:
            return None
        missing = [f"S3_SECRET_{a.upper()}" for a in ACCOUNTS if a not in given]
        if missing:
            raise LakeAccountError(f"{', '.join(missing)} not set: every lake account needs its secret")
        return given


class LakeAccountError(RuntimeError):
    """The store refused an account or runs without accounts."""


def access_key(account: str) -> str:
    """The account's access key id (not secret)."""
    return f"topsongs-{account}"


@dataclass(frozen=True)
class LakePrefixes:
    """The keys of the bucket each dataset lives under, from the settings its writer and readers share."""

    plays: str
    quarantine: str
    checkpoints: str
    enriched: str
    catalog: str

    @classmethod
    def of(cls, bucket: str, layout: LakeLayout, enriched: str, catalog_key: str) -> LakePrefixes:
        """The prefixes of ``layout`` (LAKE_*), the enriched plays and the catalog in ``bucket``."""

        def key(path: str) -> str:
            uri = dataset_uri(bucket, path)
            if not uri.startswith(f"s3a://{bucket}/"):
                raise LakeAccountError(
                    f"{path} is not in the lake bucket {bucket}: the accounts' policy covers that bucket only"
                )
            return uri.removeprefix(f"s3a://{bucket}/").strip("/")

        return cls(
            plays=key(layout.plays_path),
            quarantine=key(layout.quarantine_path),
            checkpoints=key(layout.checkpoint_location),
            enriched=key(enriched),
            catalog=key(catalog_key).rsplit("/", 1)[0],
        )

    @classmethod
    def configured(cls, bucket: str) -> LakePrefixes:
        """The prefixes the services use with this environment's LAKE_* and CHARTS_* settings."""
        charts = _ChartsPaths()
        return cls.of(bucket, charts.lake, charts.enriched_prefix, charts.catalog_key)


class _ChartsPaths(ChartsSettings):
    """The batch charts' settings (CHARTS_*, LAKE_*) without their engines': the S3 store's set-up
    must not need PostgreSQL's or Kafka's secrets (outside laptop mode they are refused unless set)."""

    s3: Any = None
    postgres: Any = None
    kafka: Any = None
    contract: Any = None


def grants(prefixes: LakePrefixes) -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
    """Per account, (actions, key prefixes) pairs; every account but the catalog's may also list."""
    p = prefixes
    return {
        LAKE: [(READ_WRITE, (p.plays, p.quarantine, p.checkpoints)), (LIST, ())],
        AIRFLOW: [
            (READ, (p.plays, p.checkpoints, p.catalog)),
            (READ_WRITE, (p.enriched,)),
            (LIST, ()),
        ],
        CATALOG: [(WRITE, (p.catalog,))],
        MONITOR: [(READ, (p.checkpoints,)), (LIST, ())],
    }


def bucket_policy(bucket: str, access_keys: Mapping[str, str], prefixes: LakePrefixes) -> dict[str, Any]:
    """The lake bucket's policy: one statement per account and grant, principals by access key id."""
    statements: list[dict[str, Any]] = []
    for account, pairs in grants(prefixes).items():
        for actions, keys in pairs:
            # A prefix's own key too: S3A asks for it (HEAD) before it lists a dataset's folder, and
            # takes a refusal as an error, not as "no such object".
            objects = [f"arn:aws:s3:::{bucket}/{key}{end}" for key in keys for end in ("", "/*")]
            resources = objects or [f"arn:aws:s3:::{bucket}"]
            statements.append(
                {
                    "Sid": f"{account}{len(statements)}",
                    "Effect": "Allow",
                    "Principal": {"AWS": [access_keys[account]]},
                    "Action": list(actions),
                    "Resource": resources,
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}


def ensure(root: S3Settings, client: Any, secrets: Mapping[str, str], prefixes: LakePrefixes) -> None:
    """Make or update every account with its secret, then set the bucket's policy (idempotent).

    ``root`` holds the store's root key, ``client`` is a boto3 S3 client signed with it and
    ``secrets`` has each account's secret."""
    for account in ACCOUNTS:
        fields = f"<Secret>{escape(secrets[account])}</Secret><Role>user</Role>"
        status, text = _admin(
            root, "create-user", f"<Account><Access>{access_key(account)}</Access>{fields}</Account>"
        )
        if status >= 300 and "XAdminUserExists" in text:
            status, text = _admin(
                root, f"update-user?access={access_key(account)}", f"<Account>{fields}</Account>"
            )
        if "XAdminMethodNotSupported" in text:
            raise LakeAccountError(
                f"the S3 store at {root.endpoint_url} runs without accounts (no --iam-dir):"
                " restart it with an IAM folder"
            )
        if status >= 300:
            raise LakeAccountError(f"versitygw refused the {account} account ({status}): {text}")
    policy = bucket_policy(root.bucket, {a: access_key(a) for a in ACCOUNTS}, prefixes)
    client.put_bucket_policy(Bucket=root.bucket, Policy=json.dumps(policy))


def _admin(root: S3Settings, call: str, body: str) -> tuple[int, str]:
    """One of versitygw's admin calls (PATCH, signed with root's key) on the S3 port: (status, body)."""
    keys = root.key_pair()
    if keys is None:
        raise LakeAccountError("the lake's accounts need the store's root key (S3_CREDENTIALS=keys)")
    data = body.encode()
    signed = AWSRequest(
        method="PATCH",
        url=f"{root.endpoint_url}/{call}",
        data=data,
        headers={"X-Amz-Content-Sha256": hashlib.sha256(data).hexdigest()},
    )
    SigV4Auth(Credentials(*keys), "s3", root.region).add_auth(signed)
    request = urllib.request.Request(signed.url, data=data, headers=dict(signed.headers), method="PATCH")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode(errors="replace")

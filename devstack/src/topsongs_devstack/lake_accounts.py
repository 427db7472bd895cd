"""One S3 account per client of the lake, each allowed only its own key prefixes.

versitygw's internal IAM (`--iam-dir`) holds the accounts (role ``user``: they own no bucket and
cannot make one); the lake bucket's policy, set by root, names what each may do under which prefix.
The root key stays with the S3 server and devstack's admin steps (bucket, accounts, policy).
Secrets are generated on first use into ``<state>/secrets/s3/`` (0600) and reach each process as
``S3_SECRET_ACCESS_KEY_FILE`` (topsongs_devstack.secret_files).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from pydantic import SecretStr
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout, dataset_uri
from topsongs_core.settings import S3Settings

from topsongs_devstack.process import PlatformError
from topsongs_devstack.secret_files import write_secret

# The processes that reach the lake: the lake job (Spark S3A), Airflow's tasks (pyarrow, boto3),
# the catalog upload (`simulator catalog --upload`) and the lag monitor (it reads the checkpoint).
LAKE, AIRFLOW, CATALOG, MONITOR = "lake", "airflow", "catalog", "monitor"
ACCOUNTS = (LAKE, AIRFLOW, CATALOG, MONITOR)

READ = ("s3:GetObject",)
WRITE = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
READ_WRITE = (*READ, *WRITE, "s3:DeleteObject")
LIST = ("s3:ListBucket",)


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
                raise PlatformError(
                    f"{path} is not in the lake bucket {bucket}: devstack's policy covers that bucket only"
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


class LakeAccounts:
    """The accounts of one S3 store: their access key ids, secrets (0600 files) and settings."""

    def __init__(self, secrets_dir: Path, s3: S3Settings) -> None:
        self.secrets_dir = secrets_dir
        # Root's settings (the store's own key): only devstack's admin steps use them.
        self.root = s3

    def access_key(self, account: str) -> str:
        """The account's access key id (not secret)."""
        return f"topsongs-{account}"

    def secret(self, account: str) -> str:
        """The account's secret, generated on first use."""
        path = self.secrets_dir / f"{account}.secret"
        if not path.exists():
            write_secret(path, secrets.token_urlsafe(30))
        return path.read_text().strip()

    def settings(self, account: str) -> S3Settings:
        """S3 settings of the store with the account's key instead of root's."""
        return self.root.model_copy(
            update={
                "access_key_id": self.access_key(account),
                "secret_access_key": SecretStr(self.secret(account)),
            }
        )

    def env(self, account: str) -> dict[str, str]:
        """What gives a process the account's key: devstack turns the secret into a 0600 file and
        ``S3_SECRET_ACCESS_KEY_FILE`` (secret_files.as_files), replacing any inherited root key."""
        return {"S3_ACCESS_KEY_ID": self.access_key(account), "S3_SECRET_ACCESS_KEY": self.secret(account)}

    def ensure(self, client: Any, prefixes: LakePrefixes) -> None:
        """Make or update every account with its secret, then set the bucket's policy (idempotent)."""
        for account in ACCOUNTS:
            fields = f"<Secret>{escape(self.secret(account))}</Secret><Role>user</Role>"
            made = self._admin(
                "create-user", f"<Account><Access>{self.access_key(account)}</Access>{fields}</Account>"
            )
            if made.status_code >= 300 and "XAdminUserExists" in made.text:
                made = self._admin(
                    f"update-user?access={self.access_key(account)}", f"<Account>{fields}</Account>"
                )
            if "XAdminMethodNotSupported" in made.text:
                raise PlatformError(
                    f"the S3 store at {self.root.endpoint_url} runs without accounts (started before"
                    " devstack made them, without --iam-dir): `devstack down s3`, then up again"
                )
            if made.status_code >= 300:
                raise PlatformError(
                    f"versitygw refused the {account} account ({made.status_code}): {made.text}"
                )
        policy = bucket_policy(self.root.bucket, {a: self.access_key(a) for a in ACCOUNTS}, prefixes)
        client.put_bucket_policy(Bucket=self.root.bucket, Policy=json.dumps(policy))

    def _admin(self, call: str, body: str) -> httpx.Response:
        """One of versitygw's admin calls (PATCH, signed with root's key) on the S3 port."""
        keys = self.root.key_pair()
        if keys is None:
            raise PlatformError("devstack's S3 accounts need the store's root key (S3_CREDENTIALS=keys)")
        data = body.encode()
        request = AWSRequest(
            method="PATCH",
            url=f"{self.root.endpoint_url}/{call}",
            data=data,
            headers={"X-Amz-Content-Sha256": hashlib.sha256(data).hexdigest()},
        )
        SigV4Auth(Credentials(*keys), "s3", self.root.region).add_auth(request)
        return httpx.request("PATCH", request.url, headers=dict(request.headers), content=data, timeout=20)

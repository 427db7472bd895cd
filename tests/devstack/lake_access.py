"""docs/security.md's table of the lake's S3 keys, tried request by request with every account's key."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError
from topsongs_charts.lake_accounts import ACCOUNTS
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.lake_accounts import LakeAccounts
from topsongs_devstack.objectstore import ObjectStore
from topsongs_devstack.process import free_port

# A multipart upload's parts are 5 MiB at least (all but the last).
PART = b"p" * (5 * 1024 * 1024)


TABLE = "### The lake's S3 keys"


@contextmanager
def private_store(bucket: str = "lake") -> Iterator[ObjectStore]:
    """versitygw on a free port with its own state folder, set up as `make up` sets it up (the
    bucket, the accounts, the policy); stopped and removed after."""
    # Under the repo, as every private stack's state (the suite's .state/tests).
    state = REPO_ROOT / ".state" / "tests" / f"lake-accounts-{uuid.uuid4().hex[:8]}"
    s3 = S3Settings(endpoint_url=f"http://127.0.0.1:{free_port()}", bucket=bucket)
    store = ObjectStore(DevstackSettings(state_dir=state), s3)
    try:
        store.up()
        yield store
    finally:
        store.down()
        shutil.rmtree(state, ignore_errors=True)


def declared(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], str]:
    """(account, request, key) → `allowed` or `refused`, as the table's ``rows`` say."""
    return {(account, row["Request"], row["Key"]): row[account] for row in rows for account in ACCOUNTS}


def tried(accounts: LakeAccounts, rows: list[dict[str, str]]) -> dict[tuple[str, str, str], str]:
    """(account, request, key) → what the store answered each account's key, for every row."""
    root = s3_client(accounts.root, attempts=1)
    clients = {account: s3_client(accounts.settings(account), attempts=1) for account in ACCOUNTS}
    return {
        (account, request, key): attempt(root, clients[account], request, key, accounts.root.bucket)
        for account, request, key in declared(rows)
    }


def attempt(root: Any, client: Any, request: str, key: str, bucket: str) -> str:
    """One request as ``client`` on an object root has just put there (and a copy source beside it):
    `allowed`, `refused` (AccessDenied) or the error code."""
    if key != "-" and " " not in key and not key.endswith("/"):
        root.put_object(Bucket=bucket, Key=key, Body=b"seeded by root")
        root.put_object(Bucket=bucket, Key=f"{key}.staged", Body=b"seeded by root")
    try:
        if request == "PUT":
            client.put_object(Bucket=bucket, Key=key, Body=b"written")
        elif request == "multipart PUT":
            upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            parts = [
                {
                    "PartNumber": n,
                    "ETag": client.upload_part(
                        Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=body
                    )["ETag"],
                }
                for n, body in ((1, PART), (2, b"last"))
            ]
            client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
            )
        elif request == "GET":
            client.get_object(Bucket=bucket, Key=key)["Body"].read()
        elif request == "DELETE":
            client.delete_object(Bucket=bucket, Key=key)
        elif request == "COPY":
            client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": f"{key}.staged"})
        elif request == "LIST":
            client.list_objects_v2(Bucket=bucket, Prefix=key, Delimiter="/")
        elif request == "GET policy":
            client.get_bucket_policy(Bucket=bucket)
        elif request == "PUT policy":
            client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(_open_policy(bucket)))
        elif request == "DELETE bucket":
            client.delete_bucket(Bucket=bucket)
        elif request == "CREATE bucket":
            client.create_bucket(Bucket=f"another-{uuid.uuid4().hex[:8]}")
        else:
            raise AssertionError(f"docs/security.md names a request the test does not know: {request!r}")
    except ClientError as exc:
        code = str(exc.response["Error"]["Code"])
        return "refused" if code in ("AccessDenied", "403") else code
    return "allowed"


def _open_policy(bucket: str) -> dict[str, Any]:
    """A policy that would let anyone do anything (what an account must not be able to set)."""
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return {"Version": "2012-10-17", "Statement": [statement]}

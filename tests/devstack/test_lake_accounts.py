"""The lake's per-service S3 keys on a private versitygw set up by devstack's own component: every
account limited as docs/security.md declares, the set-up safe to rerun, the secrets private, and
each service's own client (pyarrow, boto3) doing its work with its key."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from botocore.exceptions import ClientError
from simulator.catalog import shipped_catalog
from simulator.lake import upload_catalog
from topsongs_charts.lake import Lake
from topsongs_charts.lake_accounts import ACCOUNTS, AIRFLOW, CATALOG, LAKE, MONITOR
from topsongs_charts.progress import lake_offsets
from topsongs_core.catalog import SONGS_KEY
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings
from topsongs_devstack.objectstore import ObjectStore

from tests.devstack.lake_access import TABLE, declared, private_store, tried
from tests.devstack.test_exposure import policy

CHECKPOINT = "_checkpoints/spark/plays"
# How pyarrow reports an AccessDenied from S3.
DENIED = r"ACCESS_DENIED|AccessDenied"


@pytest.fixture(scope="module")
def store() -> Iterator[ObjectStore]:
    """A private versitygw, set up as `make up` sets it up."""
    with private_store() as store:
        yield store


def test_every_account_is_limited_as_declared(store: ObjectStore) -> None:
    rows = policy(TABLE)
    expected = declared(rows)
    found = tried(store.accounts, rows)
    assert {what: got for what, got in found.items() if got != expected[what]} == {}
    assert len(found) >= 80


def test_set_up_is_safe_to_rerun_and_keeps_its_secrets_private(store: ObjectStore) -> None:
    accounts = store.accounts
    held = {account: accounts.secret(account) for account in ACCOUNTS}
    store.up()  # running: the accounts and the policy are made again, changing nothing
    store.down()
    store.up()  # restarted on the same folders
    assert {account: accounts.secret(account) for account in ACCOUNTS} == held
    assert can_list(accounts.settings(MONITOR))

    assert mode(accounts.secrets_dir) == 0o700
    assert {mode(accounts.secrets_dir / f"{a}.secret") for a in ACCOUNTS} == {0o600}
    assert mode(store.iam_dir) == 0o700 and mode(store.iam_dir / "users.json") == 0o600
    assert not store.iam_dir.is_relative_to(store.root)  # a folder of the S3 root would be a bucket

    # A secret file lost (or deleted to rotate the key): the next set-up gives the account a new
    # secret, and the old one stops working.
    old = accounts.settings(MONITOR)
    (accounts.secrets_dir / f"{MONITOR}.secret").unlink()
    store.up()
    assert accounts.secret(MONITOR) != held[MONITOR]
    assert can_list(accounts.settings(MONITOR)) and not can_list(old)


def test_each_service_client_works_with_its_key(store: ObjectStore) -> None:
    accounts = store.accounts
    # The catalog step: the simulator's upload (it may not even ask whether the bucket exists).
    upload_catalog(shipped_catalog(), accounts.settings(CATALOG))

    # The lake job's checkpoint, written with its key, read by the monitor's (pyarrow).
    lake_job = s3_client(accounts.settings(LAKE))
    lake_job.put_object(
        Bucket=store.s3.bucket, Key=f"{CHECKPOINT}/offsets/0", Body=b'v1\n{}\n{"plays":{"0":7}}'
    )
    lake_job.put_object(Bucket=store.s3.bucket, Key=f"{CHECKPOINT}/commits/0", Body=b"v1\n{}")
    assert lake_offsets(Lake.from_s3(accounts.settings(MONITOR)), CHECKPOINT, "plays") == {0: 7}
    with pytest.raises(OSError, match=DENIED):
        Lake.from_s3(accounts.settings(MONITOR)).write_json(f"{CHECKPOINT}/commits/1", {})

    # Airflow's tasks (pyarrow): the catalog and the checkpoint read, an enriched partition replaced
    # through a staged copy, its manifest written; the raw lake read-only.
    airflow = Lake.from_s3(accounts.settings(AIRFLOW))
    assert airflow.read_parquet(SONGS_KEY).num_rows == len(shipped_catalog().songs)
    assert lake_offsets(airflow, CHECKPOINT, "plays") == {0: 7}
    table = pa.table({"event_id": ["e1", "e2"]})
    partition = "enriched/plays/region=US/date=2026-01-01/hour=0/part-0.parquet"
    staging = f"enriched/plays/_staging/{uuid.uuid4().hex[:8]}"
    assert airflow.replace_parquet(partition, table, staging) == 2
    airflow.write_json("enriched/plays/_hours/date=2026-01-01/hour=0.json", {"regions": {"US": 2}})
    assert airflow.list_files(staging) == []
    with pytest.raises(OSError, match=DENIED):
        airflow.write_parquet("raw/plays/region=US/date=2026-01-01/hour=0/part-0.parquet", table)


def can_list(s3: S3Settings) -> bool:
    """True when ``s3``'s key may list the bucket."""
    try:
        s3_client(s3, attempts=1).list_objects_v2(Bucket=s3.bucket, MaxKeys=1)
    except ClientError:
        return False
    return True


def mode(path: Path) -> int:
    """A file's permission bits."""
    return stat.S_IMODE(os.stat(path).st_mode)

"""The lake job's own S3 key through Spark's S3A: the real job commits plays and its checkpoint with
it on a store set up as `make up` sets it up (docs/security.md, "The lake's S3 keys"), and a key
the policy keeps out of `raw/` stops the job at its first write."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from spark.job import await_all, start
from spark.schema import RAW_PLAY
from spark.session import lake_uri, s3a_conf
from spark.settings import LakeSettings
from topsongs_charts.lake_accounts import LAKE, MONITOR, LakePrefixes
from topsongs_core.settings import KafkaSettings, S3Settings
from topsongs_devstack.lake_accounts import LakeAccounts
from topsongs_devstack.objectstore import ObjectStore, s3_client

from tests.devstack.lake_access import private_store
from tests.spark.lake_plays import make_plays, send

N = 200


@pytest.fixture(scope="module")
def store() -> Iterator[ObjectStore]:
    """A private versitygw with devstack's accounts and policy, its bucket named apart from the suite's
    lake (the session's S3A options are per bucket below)."""
    with private_store(bucket=f"keys-{uuid.uuid4().hex[:8]}") as store:
        yield store


def bucket_with_key(spark: SparkSession, accounts: LakeAccounts, account: str, bucket: str) -> S3Settings:
    """``bucket`` of the store with the account's key for S3A (per-bucket options of the suite's
    session, as the job's own options would give it); a second bucket gets the same policy."""
    s3 = accounts.settings(account).model_copy(update={"bucket": bucket})
    if bucket != accounts.root.bucket:
        root = s3_client(accounts.root)
        root.create_bucket(Bucket=bucket)
        LakeAccounts(accounts.secrets_dir, accounts.root.model_copy(update={"bucket": bucket})).ensure(
            root, LakePrefixes.configured(bucket)
        )
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    for option, value in s3a_conf(s3).items():
        name = option.removeprefix("spark.hadoop.fs.s3a.")
        if name != "impl":
            hadoop.set(f"fs.s3a.bucket.{bucket}.{name}", value)
    return s3


async def test_the_lake_job_writes_with_its_own_key_and_no_other(
    spark: SparkSession, store: ObjectStore, kafka_settings: KafkaSettings, lake_jars: Path
) -> None:
    await send(kafka_settings, make_plays(N))
    lake = LakeSettings(jars_dir=lake_jars, available_now=True)  # the default paths: raw/plays, ...

    own = bucket_with_key(spark, store.accounts, LAKE, store.s3.bucket)
    await_all(spark, start(spark, lake, kafka_settings, own))
    assert spark.read.schema(RAW_PLAY).parquet(lake_uri(own, lake.plays_path)).count() == N
    commits = s3_client(own).list_objects_v2(Bucket=own.bucket, Prefix="_checkpoints/spark/plays/commits/")
    assert commits["KeyCount"] >= 1

    other = bucket_with_key(spark, store.accounts, MONITOR, f"{store.s3.bucket}-2")
    with pytest.raises(Exception, match=r"AccessDenied|403"):
        await_all(spark, start(spark, lake, kafka_settings, other))

"""Spark fixtures: the connector jars, one shared SparkSession, and a private lake prefix per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from spark.session import build_session
from spark.settings import LakeSettings
from topsongs_core.settings import S3Settings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.objectstore import s3_client
from topsongs_devstack.process import free_port
from topsongs_devstack.services.spark import spark_jars


@pytest.fixture(scope="session")
def lake_jars(devstack_settings: DevstackSettings) -> Path:
    """The Kafka source / S3A jars, resolved with mvn on first use."""
    return spark_jars(devstack_settings)


@pytest.fixture(scope="session")
def spark(lake_jars: Path, engines: None) -> Iterator[SparkSession]:
    """One SparkSession for the whole suite, able to read Kafka and s3a:// (local[*] unless LAKE_* say so).

    LAKE_SPARK_MASTER_URL, LAKE_CORES_MAX and LAKE_EXECUTOR_* apply to it as to the job processes the
    tests start (they inherit the environment): on a standalone master, a LAKE_CORES_MAX below the
    workers' cores leaves the job cores of its own instead of "Initial job has not accepted any resources".
    Its UI is on, on a free port of 127.0.0.1 (as devstack's job: SPARK_LOCAL_IP, which the JVM reads
    at launch): test_ui_secrets reads its environment page.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = build_session(LakeSettings(jars_dir=lake_jars, ui_port=free_port()), S3Settings())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def lake_prefix(s3_settings: S3Settings) -> Iterator[str]:
    """A key prefix in the lake bucket private to this test; its objects are deleted afterwards."""
    prefix = f"tests/spark-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = s3_client(s3_settings)
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=s3_settings.bucket, Prefix=f"{prefix}/"
    ):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=s3_settings.bucket, Key=obj["Key"])

"""The Spark UI's environment page (HTML and REST) shows no secret value of the session's options."""

from __future__ import annotations

import httpx
from pyspark.sql import SparkSession
from topsongs_core.settings import S3Settings

REDACTED = "*********(redacted)"


def test_environment_page_shows_no_secret(spark: SparkSession, s3_settings: S3Settings) -> None:
    context = spark.sparkContext
    assert context.uiWebUrl, "the shared session runs without its UI"
    secret = s3_settings.secret_access_key.get_secret_value()
    # The key is in the session's Hadoop options (S3A reads it there): the pages must hide it.
    assert spark.conf.get("spark.hadoop.fs.s3a.secret.key") == secret
    base = context.uiWebUrl.rstrip("/")
    rest = f"{base}/api/v1/applications/{context.applicationId}/environment"
    pages = {url: httpx.get(url, timeout=60, follow_redirects=True) for url in (f"{base}/environment/", rest)}
    assert {url: page.status_code for url, page in pages.items()} == dict.fromkeys(pages, 200)
    assert [url for url, page in pages.items() if secret in page.text] == []
    # The options are listed, redacted: the check above looked where the key would be.
    environment = pages[rest].json()
    assert dict(environment["sparkProperties"])["spark.hadoop.fs.s3a.secret.key"] == REDACTED
    assert dict(environment["hadoopProperties"])["fs.s3a.secret.key"] == REDACTED
    assert dict(environment["sparkProperties"])["spark.hadoop.fs.s3a.access.key"] == REDACTED

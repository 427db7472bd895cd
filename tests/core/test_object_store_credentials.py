"""S3_CREDENTIALS=default-chain: every lake client takes its credentials from the AWS SDK chain.

The local store only knows its root key pair, so the chain is exercised through the `AWS_*`
variables (the first link of every SDK's default chain): the right keys there must work although
the settings' own keys are wrong, and wrong keys there must be refused.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from pydantic import SecretStr
from spark.session import s3a_conf
from topsongs_charts.lake import s3_filesystem
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings


@pytest.fixture
def chain(s3_settings: S3Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Settings:
    """Settings in default-chain mode whose own keys are wrong; the chain sees only AWS_* variables."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_settings.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_settings.secret_access_key.get_secret_value())
    return s3_settings.model_copy(
        update={
            "credentials": "default-chain",
            "access_key_id": "not-used",
            "secret_access_key": SecretStr("not-used"),
        }
    )


def test_keys_mode_passes_the_configured_pair() -> None:
    settings = S3Settings(access_key_id="id", secret_access_key=SecretStr("secret"))
    assert settings.key_pair() == ("id", "secret")
    assert settings.model_copy(update={"credentials": "default-chain"}).key_pair() is None


def test_boto3_client_uses_the_chain(chain: S3Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    s3_client(chain).head_bucket(Bucket=chain.bucket)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    with pytest.raises(ClientError):
        s3_client(chain).head_bucket(Bucket=chain.bucket)


def test_pyarrow_filesystem_uses_the_chain(
    chain: S3Settings, s3_settings: S3Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"{chain.bucket}/tests/credentials-{uuid.uuid4().hex[:8]}.txt"
    fs = s3_filesystem(chain)
    with fs.open_output_stream(path) as out:
        out.write(b"chain")
    try:
        with fs.open_input_stream(path) as src:
            assert src.read() == b"chain"
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
        with pytest.raises(OSError):
            s3_filesystem(chain).get_file_info(path)
    finally:
        s3_filesystem(s3_settings).delete_file(path)


def test_spark_s3a_options_follow_the_mode(s3_settings: S3Settings) -> None:
    keys = s3a_conf(s3_settings)
    assert keys["spark.hadoop.fs.s3a.access.key"] == s3_settings.access_key_id
    assert keys["spark.hadoop.fs.s3a.aws.credentials.provider"].endswith("SimpleAWSCredentialsProvider")
    chained = s3a_conf(s3_settings.model_copy(update={"credentials": "default-chain"}))
    assert not any(k.endswith((".access.key", ".secret.key")) for k in chained)
    assert chained["spark.hadoop.fs.s3a.aws.credentials.provider"] == (
        "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"
    )

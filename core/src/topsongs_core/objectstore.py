"""One way to open an S3 client for the configured store (versitygw locally, AWS S3 or MinIO remotely)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from topsongs_core.settings import S3Settings


def s3_client_options(s3: S3Settings, *, read_timeout: float = 20, attempts: int = 3) -> dict[str, Any]:
    """The keyword arguments of a botocore S3 client for ``s3``: the same for boto3 and aioboto3."""
    keys = s3.key_pair()
    return {
        "endpoint_url": s3.endpoint_url,
        "aws_access_key_id": keys[0] if keys else None,
        "aws_secret_access_key": keys[1] if keys else None,
        "region_name": s3.region,
        "config": Config(
            s3={"addressing_style": "path" if s3.path_style else "auto"},
            connect_timeout=3,
            read_timeout=read_timeout,
            retries={"max_attempts": attempts},
        ),
    }


def s3_client(s3: S3Settings, *, read_timeout: float = 20, attempts: int = 3) -> Any:
    """A boto3 S3 client for ``s3`` (path-style addressing for local stores)."""
    # A session of its own: boto3's default session would keep the first credentials it resolved.
    options = s3_client_options(s3, read_timeout=read_timeout, attempts=attempts)
    return boto3.session.Session().client("s3", **options)

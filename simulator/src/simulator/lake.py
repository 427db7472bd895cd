"""Writes the catalog to the lake as Parquet, where the Airflow ETL joins plays on song_id."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError
from topsongs_core.catalog import SONGS_COLUMNS, SONGS_KEY
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings

from simulator.catalog import Catalog

SONGS_SCHEMA = pa.schema(SONGS_COLUMNS)


def songs_parquet(catalog: Catalog) -> bytes:
    """The songs table as Parquet bytes with the columns the ETL expects."""
    rows = [song.model_dump() for song in catalog.songs]
    table = pa.Table.from_pylist(rows, schema=SONGS_SCHEMA)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def upload_catalog(catalog: Catalog, s3: S3Settings | None = None, key: str = SONGS_KEY) -> str:
    """Put the songs Parquet file in the lake bucket (created if missing); returns its URI."""
    s3 = s3 or S3Settings()
    client = s3_client(s3)
    try:
        client.head_bucket(Bucket=s3.bucket)
    except ClientError as exc:
        # Made only when missing: a key that may write the catalog but not list the bucket (devstack's
        # catalog account) is refused the HEAD, and the PUT says whether it may write.
        if exc.response["Error"]["Code"] in ("404", "NoSuchBucket"):
            client.create_bucket(Bucket=s3.bucket)
    client.put_object(
        Bucket=s3.bucket,
        Key=key,
        Body=songs_parquet(catalog),
        ContentType="application/vnd.apache.parquet",
    )
    return f"s3://{s3.bucket}/{key}"

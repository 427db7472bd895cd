"""The shipped catalog and its Parquet copy in the lake."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError
from simulator.catalog import Catalog, Song, read_catalog, write_catalog
from simulator.lake import SONGS_KEY, songs_parquet, upload_catalog
from simulator.shipped_catalog import build
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings

COLUMNS = ["song_id", "title", "artist", "genre", "release_year", "duration_ms"]


def test_shipped_catalog_is_the_deterministic_build(catalog: Catalog) -> None:
    assert catalog == build()
    assert catalog.source == "shipped"
    assert (len(catalog.songs), len(catalog.artists), len(catalog.genres)) == (500, 120, 12)
    assert len({s.title for s in catalog.songs}) > 300
    assert {s.artist for s in catalog.songs} == {a.name for a in catalog.artists}


def test_a_name_with_a_control_character_is_refused_as_ingest_would() -> None:
    song = {"song_id": "s-001", "artist": "A", "genre": "G", "release_year": 2000, "duration_ms": 200_000}
    assert Song(title=" Tab\t", **song).title == "Tab"  # surrounding whitespace is stripped first
    with pytest.raises(ValidationError, match="title"):
        Song(title="Tab\tinside", **song)


def test_catalog_round_trips_through_a_file(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "nested" / "catalog.json"
    write_catalog(catalog, path)
    assert read_catalog(path) == catalog
    assert path.stat().st_size < 300_000


def test_songs_parquet_has_the_etl_columns(catalog: Catalog) -> None:
    table = pq.read_table(io.BytesIO(songs_parquet(catalog)))
    assert table.column_names == COLUMNS
    assert table.num_rows == 500
    assert table.column("song_id")[0].as_py() == "s-0001"


def test_upload_writes_songs_parquet_to_the_lake(catalog: Catalog, s3_settings: S3Settings) -> None:
    s3 = s3_settings.model_copy(update={"bucket": f"sim-test-{uuid.uuid4().hex[:8]}"})
    uri = upload_catalog(catalog, s3)
    assert uri == f"s3://{s3.bucket}/catalog/songs/songs.parquet"
    client = s3_client(s3)
    try:
        raw = client.get_object(Bucket=s3.bucket, Key=SONGS_KEY)["Body"].read()
        table = pq.read_table(io.BytesIO(raw))
        assert table.column_names == COLUMNS
        assert table.num_rows == len(catalog.songs)
    finally:
        client.delete_object(Bucket=s3.bucket, Key=SONGS_KEY)
        client.delete_bucket(Bucket=s3.bucket)

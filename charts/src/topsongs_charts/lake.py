"""The lake as a pyarrow filesystem plus a root (a bucket on S3, or a local folder)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from topsongs_core.settings import S3Settings


def s3_filesystem(settings: S3Settings) -> pafs.S3FileSystem:
    """A pyarrow S3 filesystem for the configured endpoint (path-style for versitygw/MinIO)."""
    endpoint = settings.endpoint_url
    scheme = "https"
    if endpoint:
        scheme, _, endpoint = endpoint.partition("://")
    keys = settings.key_pair()  # None: the AWS SDK's default credential chain
    return pafs.S3FileSystem(
        access_key=keys[0] if keys else None,
        secret_key=keys[1] if keys else None,
        region=settings.region,
        endpoint_override=endpoint or None,
        scheme=scheme,
        force_virtual_addressing=not settings.path_style,
    )


@dataclass(frozen=True)
class Lake:
    """A filesystem and the root every key is relative to."""

    fs: pafs.FileSystem
    root: str

    @classmethod
    def from_s3(cls, settings: S3Settings) -> Lake:
        """The configured bucket."""
        return cls(s3_filesystem(settings), settings.bucket)

    def path(self, key: str) -> str:
        """The filesystem path of a key."""
        return f"{self.root.rstrip('/')}/{key.lstrip('/')}"

    def exists(self, key: str) -> bool:
        """True when the key names a file."""
        return self.fs.get_file_info(self.path(key)).type == pafs.FileType.File

    def list_dirs(self, key: str) -> list[str]:
        """Names of the direct sub-folders of a prefix (empty when it does not exist)."""
        infos = self.fs.get_file_info(pafs.FileSelector(self.path(key), allow_not_found=True))
        return sorted(i.base_name for i in infos if i.type == pafs.FileType.Directory)

    def list_files(self, key: str, *, recursive: bool = False) -> list[str]:
        """Keys of the files below a prefix, sorted."""
        selector = pafs.FileSelector(self.path(key), allow_not_found=True, recursive=recursive)
        root = self.path("")
        return sorted(
            i.path[len(root) :] for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.File
        )

    def read_parquet(self, key: str, columns: list[str] | None = None) -> pa.Table:
        """One Parquet file."""
        return pq.read_table(self.path(key), filesystem=self.fs, columns=columns)

    def read_json(self, key: str) -> dict | None:
        """A small JSON object, or None when absent."""
        if not self.exists(key):
            return None
        with self.fs.open_input_stream(self.path(key)) as stream:
            return json.loads(stream.read())

    def read_text(self, key: str) -> str:
        """A small text file."""
        with self.fs.open_input_stream(self.path(key)) as stream:
            return stream.read().decode()

    def write_json(self, key: str, payload: dict) -> None:
        """One object PUT: readers see the old or the new version, never a mix."""
        self._make_parent(key)
        with self.fs.open_output_stream(self.path(key)) as stream:
            stream.write(json.dumps(payload, sort_keys=True, default=_iso).encode())

    def delete(self, key: str) -> None:
        """Remove one file (missing is fine)."""
        if self.exists(key):
            self.fs.delete_file(self.path(key))

    def remove_tree(self, key: str) -> None:
        """Delete a prefix and everything below it, deepest first (folder-backed stores need that)."""
        selector = pafs.FileSelector(self.path(key), allow_not_found=True, recursive=True)
        infos = self.fs.get_file_info(selector)
        for info in infos:
            if info.type == pafs.FileType.File:
                self.fs.delete_file(info.path)
        folders = [i.path for i in infos if i.type == pafs.FileType.Directory] + [self.path(key)]
        for folder in sorted(folders, key=lambda p: p.count("/"), reverse=True):
            if self.fs.get_file_info(folder).type == pafs.FileType.Directory:
                self.fs.delete_dir(folder)

    def _make_parent(self, key: str) -> None:
        # Object stores have no folders; a local filesystem needs them before a write.
        if not isinstance(self.fs, pafs.S3FileSystem):
            self.fs.create_dir(self.path(key).rsplit("/", 1)[0], recursive=True)

    def write_parquet(self, key: str, table: pa.Table) -> None:
        """Write one Parquet file (zstd)."""
        self._make_parent(key)
        pq.write_table(table, self.path(key), filesystem=self.fs, compression="zstd")

    def replace_parquet(self, key: str, table: pa.Table, staging_prefix: str) -> int:
        """Write to a staging key, verify its row count, then copy over ``key``; returns rows."""
        staged = f"{staging_prefix.rstrip('/')}/{uuid.uuid4().hex}.parquet"
        self.write_parquet(staged, table)
        try:
            written = pq.read_metadata(self.path(staged), filesystem=self.fs).num_rows
            if written != table.num_rows:
                raise OSError(f"staged {staged} has {written} rows, expected {table.num_rows}")
            # A server-side copy publishes the whole object at once.
            self._make_parent(key)
            self.fs.copy_file(self.path(staged), self.path(key))
        finally:
            self.delete(staged)
        return written


def _iso(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")

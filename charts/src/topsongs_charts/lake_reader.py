"""The lake read from asyncio code (the lag monitor) with aioboto3: a read waits on the event loop,
not in a thread of its own, and the store's connections are kept between rounds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aioboto3
from topsongs_core.objectstore import s3_client_options
from topsongs_core.settings import S3Settings


@dataclass(frozen=True)
class LakeReader:
    """An open aioboto3 S3 client and the bucket its keys are in."""

    client: Any
    bucket: str

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: S3Settings) -> AsyncIterator[LakeReader]:
        """A reader of the configured bucket, closed on leaving the block."""
        # The same endpoint, keys and timeouts as the boto3 clients (topsongs_core.objectstore).
        async with aioboto3.Session().client("s3", **s3_client_options(settings)) as client:
            yield cls(client, settings.bucket)

    async def names(self, folder: str) -> list[str]:
        """The names of the objects directly in ``folder`` (a key prefix), empty when it has none."""
        prefix = f"{folder.rstrip('/')}/"
        found: list[str] = []
        async for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        ):
            found.extend(item["Key"][len(prefix) :] for item in page.get("Contents", []))
        return found

    async def read_text(self, key: str) -> str:
        """One object, decoded as UTF-8."""
        response = await self.client.get_object(Bucket=self.bucket, Key=key)
        async with response["Body"] as body:
            data: bytes = await body.read()
        return data.decode()

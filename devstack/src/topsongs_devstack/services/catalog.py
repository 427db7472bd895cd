"""The song catalog in the lake bucket, which the hourly ETL enriches plays with (a one-shot component)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from botocore.exceptions import BotoCoreError, ClientError
from topsongs_core.catalog import SONGS_KEY
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings

from topsongs_devstack.component import Status
from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.process import run


class SongCatalog:
    """Uploads the simulator's catalog (`simulator catalog --upload`) unless the bucket has one."""

    name = "catalog"

    def __init__(self, s3: S3Settings, key_env: Mapping[str, str] | None = None) -> None:
        # Root's settings: devstack's own check whether the catalog is there.
        self.s3 = s3
        # S3_* of the key the upload runs with (devstack's catalog account; root's when empty).
        self.key_env = dict(key_env or {})

    def install(self) -> None:
        """Nothing to fetch: the shipped catalog is in the repository."""

    def _present(self) -> bool:
        try:
            s3_client(self.s3).head_object(Bucket=self.s3.bucket, Key=SONGS_KEY)
        except (BotoCoreError, ClientError):
            return False
        return True

    def up(self) -> None:
        """Upload once; a catalog already there (the demo's, or an LLM-made one) is kept."""
        if self._present():
            return
        env = {**os.environ, "S3_ENDPOINT_URL": str(self.s3.endpoint_url), **self.key_env}
        run(
            [sys.executable, "-m", "simulator.cli", "catalog", "--upload"],
            "catalog upload",
            cwd=REPO_ROOT,
            env=env,
        )
        print(f"[devstack] catalog: uploaded s3://{self.s3.bucket}/{SONGS_KEY}", flush=True)

    def down(self) -> None:
        """Nothing runs; the catalog stays."""

    def status(self) -> Status:
        """Healthy when the bucket has the catalog."""
        present = self._present()
        detail = "songs.parquet present" if present else "missing (the hourly ETL needs it)"
        return Status(self.name, present, f"s3://{self.s3.bucket}/{SONGS_KEY}", detail)

"""devstack's S3 accounts of the lake (topsongs_charts.lake_accounts): their secrets and settings.

Secrets are generated on first use into ``<state>/secrets/s3/`` (0600) and reach each process as
``S3_SECRET_ACCESS_KEY_FILE`` (topsongs_devstack.secret_files). The root key stays with the S3
server and devstack's admin steps (bucket, accounts, policy).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from topsongs_charts import lake_accounts
from topsongs_charts.lake_accounts import ACCOUNTS, LakeAccountError, LakePrefixes, access_key
from topsongs_core.settings import S3Settings

from topsongs_devstack.process import PlatformError
from topsongs_devstack.secret_files import write_secret


class LakeAccounts:
    """The accounts of one S3 store: their access key ids, secrets (0600 files) and settings."""

    def __init__(self, secrets_dir: Path, s3: S3Settings) -> None:
        self.secrets_dir = secrets_dir
        # Root's settings (the store's own key): only devstack's admin steps use them.
        self.root = s3

    def access_key(self, account: str) -> str:
        """The account's access key id (not secret)."""
        return access_key(account)

    def secret(self, account: str) -> str:
        """The account's secret, generated on first use."""
        path = self.secrets_dir / f"{account}.secret"
        if not path.exists():
            write_secret(path, secrets.token_urlsafe(30))
        return path.read_text().strip()

    def settings(self, account: str) -> S3Settings:
        """S3 settings of the store with the account's key instead of root's."""
        return self.root.model_copy(
            update={
                "access_key_id": self.access_key(account),
                "secret_access_key": SecretStr(self.secret(account)),
            }
        )

    def env(self, account: str) -> dict[str, str]:
        """What gives a process the account's key: devstack turns the secret into a 0600 file and
        ``S3_SECRET_ACCESS_KEY_FILE`` (secret_files.as_files), replacing any inherited root key."""
        return {"S3_ACCESS_KEY_ID": self.access_key(account), "S3_SECRET_ACCESS_KEY": self.secret(account)}

    def ensure(self, client: Any, prefixes: LakePrefixes) -> None:
        """Make or update every account with its secret, then set the bucket's policy (idempotent)."""
        try:
            lake_accounts.ensure(self.root, client, {a: self.secret(a) for a in ACCOUNTS}, prefixes)
        except LakeAccountError as refused:
            raise PlatformError(f"{refused} (devstack: `devstack down s3`, then up again)") from refused

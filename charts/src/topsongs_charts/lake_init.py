"""One-shot: the lake bucket, its per-service accounts and its policy on a fresh S3 store.

Run by compose's ``s3-init`` (``python -m topsongs_charts.lake_init``) with the store's root key
(S3_*), every account's secret (S3_SECRET_*, topsongs_charts.lake_accounts.LakeAccountSecrets) and
the lake's paths (LAKE_*, CHARTS_*); without account secrets (Helm's bucket job, a managed S3) the
bucket only. Safe to rerun. devstack does the same in-process
(topsongs_devstack.objectstore).
"""

from __future__ import annotations

import sys
import time

from botocore.exceptions import BotoCoreError, ClientError
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings

from topsongs_charts.lake_accounts import LakeAccountSecrets, LakePrefixes, ensure

ATTEMPTS, PAUSE_S = 60, 2.0


def main() -> int:
    """Create the bucket unless it exists, then the accounts and the policy; 0 once done."""
    root, accounts = S3Settings(), LakeAccountSecrets().by_account()
    prefixes = LakePrefixes.configured(root.bucket)
    client = s3_client(root, attempts=1)
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            try:
                client.head_bucket(Bucket=root.bucket)
            except ClientError:
                client.create_bucket(Bucket=root.bucket)
            made = "no accounts: S3_SECRET_* unset"
            if accounts is not None:
                ensure(root, client, accounts, prefixes)
                made = f"accounts {', '.join(accounts)} and the bucket policy"
            print(f"[s3-init] bucket {root.bucket} ready at {root.endpoint_url}, {made}", flush=True)
            return 0
        except (ClientError, BotoCoreError, OSError) as exc:  # the store still starting
            last = exc
            time.sleep(PAUSE_S)
    print(f"[s3-init] could not set up bucket {root.bucket}: {last!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""One-shot: create the lake bucket (S3_BUCKET) on the S3 store, waiting for it to answer.

Run by compose's `s3-init` service with the ingest image (topsongs_core and boto3 installed);
every setting comes from the S3_* variables read by ``topsongs_core.settings.S3Settings``.
"""

from __future__ import annotations

import sys
import time

from botocore.exceptions import BotoCoreError, ClientError
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings


def main() -> int:
    """Create the bucket unless it exists; exit 0 once it answers HEAD."""
    s3 = S3Settings()
    client = s3_client(s3, attempts=1)
    last: Exception | None = None
    for _ in range(60):
        try:
            try:
                client.head_bucket(Bucket=s3.bucket)
            except ClientError:
                client.create_bucket(Bucket=s3.bucket)
                client.head_bucket(Bucket=s3.bucket)
            print(f"[s3-init] bucket {s3.bucket} ready at {s3.endpoint_url}", flush=True)
            return 0
        except (ClientError, BotoCoreError) as exc:
            last = exc
            time.sleep(2)
    print(f"[s3-init] could not create bucket {s3.bucket}: {last!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Event ids that a resent request gets again: derived from its `Idempotency-Key` and content."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Header
from topsongs_core.events import PlayEvent

HEADER = "Idempotency-Key"

# Fixed for ever: changing it would give a resent request other ids than its first attempt.
NAMESPACE = uuid.UUID("6f2b0c8e-5d0a-4a59-9b61-3c2f1e7d9a40")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        # Visible ASCII: what the IETF draft's examples use, and nothing a proxy would rewrite.
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "A value unique to this request (a UUID), sent again unchanged with the same body on "
            "every retry. Events without an `event_id` then get ids derived from the key, the "
            "caller's API key name, their index and their content, so a resend gets the same ids."
        ),
    ),
]


def _content(event: PlayEvent) -> bytes:
    # The validated event (whitespace stripped, region upper-cased, played_at in UTC), so
    # spelling differences of one play do not change its id.
    return event.model_dump_json(exclude={"event_id"}).encode()


def derived_id(key: str, client: str, index: int, event: PlayEvent) -> uuid.UUID:
    """The id of the ``index``-th event of the request sent with ``key`` by ``client``."""
    digest = hashlib.sha256(_content(event)).hexdigest()
    return uuid.uuid5(NAMESPACE, f"{client}\n{key}\n{index}\n{digest}")


def with_stable_ids(
    items: Sequence[Any], events: list[PlayEvent], key: str | None, client: str
) -> list[PlayEvent]:
    """``events`` with derived ids where the client sent none (unchanged without a key)."""
    if key is None:
        return events
    return [
        event
        if isinstance(item, dict) and "event_id" in item
        else event.model_copy(update={"event_id": derived_id(key, client, index, event)})
        for index, (item, event) in enumerate(zip(items, events, strict=True))
    ]

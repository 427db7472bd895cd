"""Changelog record formats of the play ledger: deltas, sealed minutes, closed hours, folded late counts.

Every key starts with the plays partition (``p|...``) so a partition's records live in the same
changelog partition, in the order they were written.
"""

from __future__ import annotations

import base64
import uuid
from array import array
from typing import Any

Record = dict[str, Any]
MASK64 = (1 << 64) - 1


def id_hash(event_id: uuid.UUID) -> int:
    """A 64-bit fingerprint of an event id (both halves folded, so all random bits count)."""
    value = event_id.int
    return (value ^ (value >> 64)) & MASK64


def pack_ids(ids: array) -> str:
    """Base64 of the native 64-bit array (8 bytes an id, ~11 characters in JSON)."""
    return base64.b64encode(ids.tobytes()).decode()


def unpack_ids(text: str) -> array:
    """Inverse of :func:`pack_ids`."""
    ids = array("Q")
    ids.frombytes(base64.b64decode(text))
    return ids


def delta_key(partition: int, offset: int) -> str:
    """Key of the delta written by the batch whose first recorded play has ``offset``."""
    return f"{partition}|d|{offset}"


def sealed_key(partition: int, minute: int) -> str:
    """Key of a closed minute's final counts."""
    return f"{partition}|m|{minute}"


def late_key(partition: int) -> str:
    """Key of the late counts folded in from deleted deltas."""
    return f"{partition}|late"


def hour_key(partition: int, hour: int) -> str:
    """Key of a closed hour's final counts (``hour`` in epoch hours)."""
    return f"{partition}|h|{hour}"


def split_key(key: str) -> tuple[int, str, int]:
    """``(partition, kind, number)`` of a ledger key; kind is ``d``, ``m``, ``h`` or ``late``."""
    part, kind, *rest = key.split("|")
    return int(part), kind, int(rest[0]) if rest else 0

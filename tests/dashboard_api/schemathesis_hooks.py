"""What OpenAPI cannot say about dashboard-api's parameters, told to schemathesis's generator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import schemathesis
from schemathesis import GenerationMode

# Within the documented 366 days even after `from` rounds down and `to` rounds up to whole hours.
SPAN = timedelta(days=365)


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """Schema-valid /api/trend requests also have `from` before `to` by at most the documented span."""
    if context.operation is None or context.operation.path != "/api/trend":
        return True
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return True
    query = case.query or {}
    start, end = _utc(query["from"]), _utc(query["to"])
    return start < end <= start + SPAN


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # no offset means UTC

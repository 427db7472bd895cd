"""schemathesis hooks for ingest: a valid play happened just now (a window JSON Schema cannot state)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import schemathesis


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    """Positive cases get `played_at` = now; negative ones keep whatever was generated."""
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return case
    events: Any = case.body.get("events") if case.operation.path == "/plays" else [case.body]
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict) and "played_at" in event:
            event["played_at"] = datetime.now(UTC).isoformat()
    return case

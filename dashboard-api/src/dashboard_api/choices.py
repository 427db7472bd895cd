"""Query parameters whose values this deployment's settings list: ``region`` and ``window``."""

# No `from __future__ import annotations`: FastAPI reads the annotations of `_one_of`'s inner
# function, which name its arguments, so they must be evaluated where it is defined.
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query

from dashboard_api.deps import Settings
from dashboard_api.errors import invalid
from dashboard_api.settings import DashboardSettings

# Parameter name → the values the settings allow; also the enums of the OpenAPI document (app.py).
CHOICES: dict[str, Callable[[DashboardSettings], tuple[str, ...]]] = {
    "region": lambda settings: settings.contract.regions,
    "window": lambda settings: settings.live.window_names,
}


def bad_choice(settings: DashboardSettings, **values: str | None) -> tuple[str, str] | None:
    """``(parameter, message)`` for the first value its settings do not list, or None."""
    for name, value in values.items():
        allowed = CHOICES[name](settings)
        if value not in allowed:
            return name, f"must be one of {', '.join(allowed)}"
    return None


def _one_of(name: str, description: str, example: str) -> Callable[..., Awaitable[str]]:
    async def check(
        settings: Settings,
        value: Annotated[str, Query(alias=name, description=description, examples=[example])],
    ) -> str:
        error = bad_choice(settings, **{name: value})
        if error:
            raise invalid(name, error[1], value)
        return value

    return check


Region = Annotated[str, Depends(_one_of("region", "Region code, one of GET /api/regions", "US"))]
Window = Annotated[str, Depends(_one_of("window", "Chart window, one of the live windows", "5m"))]

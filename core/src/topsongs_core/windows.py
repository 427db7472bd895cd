"""Chart windows on the wall clock: rolling N minutes ending with the current minute, and the UTC hour.

One definition for the streams worker (which counts into them), dashboard-api (which shows an
empty chart's range before any worker published) and the simulator's oracle (which recomputes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from topsongs_core.timefmt import iso_z

HOUR = "hour"
DEFAULT_ROLLING_MINUTES = (5, 60)  # LIVE_ROLLING_MINUTES unless set


@dataclass(frozen=True)
class ChartWindow:
    """One chart window: ``"5m"``/``"60m"`` roll by the minute, ``"hour"`` is the current UTC hour."""

    name: str
    kind: Literal["rolling", "tumbling"]
    minutes: int

    @classmethod
    def parse(cls, name: str) -> ChartWindow:
        """The window called ``name`` (``"hour"`` or ``"<N>m"``, N ≥ 1); ValueError otherwise."""
        if name == HOUR:
            return cls(HOUR, "tumbling", 60)
        minutes = name.removesuffix("m")
        if not name.endswith("m") or not minutes.isdigit() or int(minutes) < 1:
            raise ValueError(f"unknown chart window {name!r}; expected 'hour' or '<minutes>m'")
        return cls(name, "rolling", int(minutes))

    @property
    def size_s(self) -> int:
        """Length in seconds."""
        return self.minutes * 60

    @property
    def step_s(self) -> int:
        """How far the window moves at a time, in seconds."""
        return 60 if self.kind == "rolling" else self.size_s

    def minutes_at(self, now: float) -> tuple[int, int]:
        """``[start, end)`` in epoch minutes at epoch second ``now``."""
        current = int(now // 60)
        if self.kind == "tumbling":
            start = current - current % self.minutes
            return start, start + self.minutes
        return current + 1 - self.minutes, current + 1

    def spec(self) -> dict[str, int | str]:
        """``kind``, ``size_s`` and ``step_s``, as the simulator's report lists the windows."""
        return {"kind": self.kind, "size_s": self.size_s, "step_s": self.step_s}

    def range_at(self, now: float) -> tuple[str, str]:
        """``(window_start, window_end)`` at ``now`` as the live messages write them."""
        start, end = self.minutes_at(now)
        return iso_z(start * 60, "seconds"), iso_z(end * 60, "seconds")


def chart_windows(rolling_minutes: tuple[int, ...]) -> tuple[ChartWindow, ...]:
    """The windows served: one rolling window per length, then the hour (e.g. ``5m, 60m, hour``)."""
    return (*(ChartWindow(f"{m}m", "rolling", m) for m in rolling_minutes), ChartWindow.parse(HOUR))

"""Chart windows, ISO-Z timestamps and the leading-edge throttle shared by the live services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from topsongs_core.throttle import LeadingEdgeThrottle
from topsongs_core.timefmt import iso_z
from topsongs_core.windows import ChartWindow, chart_windows

NOW = datetime(2027, 1, 15, 8, 4, 30, 999_999, tzinfo=UTC).timestamp()


def test_rolling_windows_end_with_the_current_minute_and_the_hour_is_the_clock_hour() -> None:
    five, sixty, hour = chart_windows((5, 60))
    assert five.range_at(NOW) == ("2027-01-15T08:00:00Z", "2027-01-15T08:05:00Z")
    assert sixty.range_at(NOW) == ("2027-01-15T07:05:00Z", "2027-01-15T08:05:00Z")
    assert hour.range_at(NOW) == ("2027-01-15T08:00:00Z", "2027-01-15T09:00:00Z")
    assert (five.size_s, five.step_s, hour.size_s, hour.step_s) == (300, 60, 3600, 3600)


@pytest.mark.parametrize("name", ["hour", "5m", "120m"])
def test_a_window_parses_from_its_name(name: str) -> None:
    assert ChartWindow.parse(name).name == name


@pytest.mark.parametrize("name", ["", "m", "0m", "5", "day", "-5m"])
def test_unknown_window_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown chart window"):
        ChartWindow.parse(name)


def test_iso_z_truncates_to_the_precision_and_converts_to_utc() -> None:
    assert iso_z(NOW) == "2027-01-15T08:04:30.999Z"
    assert iso_z(NOW, "seconds") == "2027-01-15T08:04:30Z"
    paris = datetime(2027, 1, 15, 9, 4, 30, tzinfo=timezone(timedelta(hours=1)))
    assert iso_z(paris) == "2027-01-15T08:04:30.000Z"


def test_throttle_fires_at_once_after_a_quiet_interval_else_at_its_end() -> None:
    throttle = LeadingEdgeThrottle(0.25)
    assert throttle.wait("k", 1024.0) == 0
    throttle.fired("k", 1024.0)
    assert throttle.wait("k", 1024.1) == pytest.approx(0.15)
    assert throttle.wait("other", 1024.1) == 0
    assert throttle.wait("k", 1024.25) == 0


def test_a_late_held_back_firing_keeps_the_grid_and_an_unheld_one_does_not() -> None:
    throttle = LeadingEdgeThrottle(0.25)
    throttle.fired("held", 1024.0)
    throttle.fired("held", 1024.375, held=True)  # woken 0.125 s after its due time 1024.25
    assert throttle.last["held"] == 1024.25
    throttle.fired("quiet", 1024.0)
    throttle.fired("quiet", 1024.375)
    assert throttle.last["quiet"] == 1024.375
    throttle.fired("held", 1025.0, held=True)  # more than an interval late: a fresh start
    assert throttle.last["held"] == 1025.0

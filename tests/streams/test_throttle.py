"""The worker's leading-edge publish throttle, on an explicit clock."""

from __future__ import annotations

import itertools

import pytest
from streams.throttle import LeadingEdgeThrottle

T0 = 1024.0  # small and binary-exact, so interval arithmetic has no rounding


def test_first_change_fires_at_once_later_ones_wait_for_the_interval_end():
    throttle = LeadingEdgeThrottle(0.25)
    assert throttle.wait("US", T0) == 0
    throttle.fired("US", T0)
    assert throttle.wait("US", T0 + 0.1) == pytest.approx(0.15)
    assert throttle.wait("US", T0 + 0.25) == 0


def test_after_a_quiet_interval_a_change_goes_out_immediately():
    throttle = LeadingEdgeThrottle(0.25)
    throttle.fired("US", T0)
    throttle.fired("US", T0 + 0.25)
    assert throttle.wait("US", T0 + 3.0) == 0


def test_keys_are_independent():
    throttle = LeadingEdgeThrottle(0.25)
    throttle.fired("US", T0)
    assert throttle.wait("GB", T0 + 0.01) == 0
    assert throttle.wait("US", T0 + 0.01) == pytest.approx(0.24)


def test_at_most_one_firing_per_interval_under_continuous_change():
    throttle = LeadingEdgeThrottle(0.25)
    fired = []
    for step in range(256):  # a change every 1/64 s for 4 s, firing whenever allowed
        now = T0 + step / 64
        if throttle.wait("US", now) == 0:
            throttle.fired("US", now)
            fired.append(now)
    assert len(fired) == 16
    assert all(b - a == 0.25 for a, b in itertools.pairwise(fired))

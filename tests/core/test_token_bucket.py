"""The token bucket the simulator paces with and ingest limits clients with."""

from __future__ import annotations

import pytest
from topsongs_core.token_bucket import TokenBucket


def test_token_bucket_paces_by_the_clock() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=100.0, capacity=10.0, clock=lambda: now[0])
    assert bucket.try_take() == pytest.approx(0.01)
    now[0] = 1.0  # a long pause refills only up to the capacity
    assert all(bucket.try_take() == 0 for _ in range(10))
    assert bucket.try_take() == pytest.approx(0.01)


def test_a_full_bucket_lets_a_burst_through_then_says_how_long_to_wait() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10.0, capacity=50.0, clock=lambda: now[0], tokens=50.0)
    assert bucket.try_take(50) == 0
    assert bucket.try_take(20) == pytest.approx(2.0)  # refused: nothing is spent
    now[0] = 2.0
    assert bucket.try_take(20) == 0

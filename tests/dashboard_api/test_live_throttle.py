"""LiveBoard's leading-edge flush: a change goes out at once after a quiet interval, else at its end."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.hub import FanoutHub
from topsongs_core.live import Candidate, ChartPartials, PartitionCandidates, encode

T0 = 1024.0  # small and binary-exact, so interval arithmetic has no rounding
INTERVAL = 0.25


def partials(plays: int, window: str = "5m") -> bytes:
    song = Candidate(song_id="s", title="t", artist="a", plays=plays)
    return encode(
        ChartPartials(
            region="US",
            window=window,
            window_start="2027-01-15T08:00:00Z",
            window_end="2027-01-15T08:05:00Z",
            generated_at="2027-01-15T08:04:00.000Z",
            partitions=1,
            parts={"0": PartitionCandidates(late_dropped=0, entries=[song])},
        )
    )


def board_and_queue() -> tuple[LiveBoard, Any]:
    hub = FanoutHub(queue_size=100)
    board = LiveBoard(("US",), ("5m", "hour"), 10, hub, rate_hz=1 / INTERVAL)
    return board, hub.subscribe(("US", "5m")).pending


def drain(queue: Any) -> list[dict[str, Any]]:
    out = []
    while queue:
        out.append(orjson.loads(queue.popleft()))
    return out


def test_change_after_quiet_interval_is_sent_at_once():
    board, queue = board_and_queue()
    board.ingest(partials(1))
    assert board.flush(T0) is None
    assert [(m["seq"], m["entries"][0]["plays"]) for m in drain(queue)] == [(1, 1)]
    board.ingest(partials(2))
    assert board.flush(T0 + 5.0) is None
    assert [(m["seq"], m["entries"][0]["plays"]) for m in drain(queue)] == [(2, 2)]


def test_changes_within_the_interval_are_held_then_sent_once():
    board, queue = board_and_queue()
    board.ingest(partials(1))
    board.flush(T0)
    drain(queue)
    board.ingest(partials(2))
    assert board.flush(T0 + 0.1) == pytest.approx(INTERVAL - 0.1)
    board.ingest(partials(3))
    assert board.flush(T0 + 0.2) == pytest.approx(INTERVAL - 0.2)
    assert drain(queue) == []
    assert board.flush(T0 + INTERVAL) is None
    assert [(m["seq"], m["entries"][0]["plays"]) for m in drain(queue)] == [(2, 3)]


def test_a_late_held_back_flush_keeps_the_grid():
    board, queue = board_and_queue()
    board.ingest(partials(1))
    board.flush(T0)
    board.ingest(partials(2))
    board.flush(T0 + 0.1)
    board.flush(T0 + INTERVAL + 0.2)  # woken 0.2 s late
    board.ingest(partials(3))
    assert board.flush(T0 + INTERVAL + 0.21) == pytest.approx(INTERVAL - 0.21)
    assert [m["seq"] for m in drain(queue)] == [1, 2]


def test_unchanged_merge_sends_nothing_and_holds_nothing_back():
    board, queue = board_and_queue()
    for at in (T0, T0 + INTERVAL):  # the second merge only turns movement "new" into "same"
        board.ingest(partials(1))
        board.flush(at)
    assert [m["seq"] for m in drain(queue)] == [1, 2]
    board.ingest(partials(1))
    assert board.flush(T0 + 2 * INTERVAL) is None
    assert drain(queue) == []
    board.ingest(partials(2))
    assert board.flush(T0 + 2 * INTERVAL + 0.01) is None
    assert [m["seq"] for m in drain(queue)] == [3]


def test_streams_are_throttled_independently():
    board, _ = board_and_queue()
    board.ingest(partials(1))
    board.flush(T0)
    board.ingest(partials(5, window="hour"))
    board.ingest(partials(2))
    assert board.flush(T0 + 0.05) == pytest.approx(INTERVAL - 0.05)
    assert board.snapshot("US", "hour").entries[0].plays == 5
    assert board.snapshot("US", "5m").entries[0].plays == 1

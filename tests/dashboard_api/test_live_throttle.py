"""LiveBoard's leading-edge flush: a change goes out at once after a quiet interval, else at its end."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from dashboard_api.live.board import LiveBoard, phase_groups, rate_class
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
    return board, hub.subscribe(board.join("US", "5m")[0]).pending


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
    hour = board.hub.subscribe(board.join("US", "hour")[0]).pending
    board.ingest(partials(1))
    board.flush(T0)
    board.ingest(partials(5, window="hour"))
    board.ingest(partials(2))
    assert board.flush(T0 + 0.05) == pytest.approx(INTERVAL - 0.05)
    assert [m["entries"][0]["plays"] for m in drain(hour)] == [5]
    assert board.snapshot("US", "hour").entries[0].plays == 5
    assert board.snapshot("US", "5m").entries[0].plays == 1


def test_an_asked_rate_is_served_at_the_fastest_class_not_above_it():
    assert rate_class(20, cap=20, default=20) == 20
    assert rate_class(3, cap=20, default=20) == 2
    assert rate_class(7.5, cap=20, default=7.5) == 7.5
    assert rate_class(15, cap=12, default=4) == 12
    assert rate_class(0.1, cap=20, default=20) == 0.1
    assert (phase_groups(20), phase_groups(4), phase_groups(1), phase_groups(0.1)) == (1, 1, 20, 20)


def test_each_rate_class_has_its_own_gap_free_seq_and_a_slow_one_sends_once_per_slot():
    board, fast = board_and_queue()
    key, snapshot = board.join("US", "5m", 1.0)
    assert (key, snapshot.seq) == (("US", "5m", 1.0, 0), 0)
    slow = board.hub.subscribe(key).pending
    for step in range(8):  # a change every 0.25 s from T0 = 1024.0, a whole second: group 0's slot
        board.ingest(partials(step + 1))
        board.flush(T0 + step * INTERVAL)
    assert [m["seq"] for m in drain(fast)] == list(range(1, 9))
    assert [(m["seq"], m["entries"][0]["plays"]) for m in drain(slow)] == [(1, 1), (2, 5)]
    assert board.flush(T0 + 2.0) is None  # the change held back since T0 + 1.75
    board.ingest(partials(9))
    assert board.flush(T0 + 3.6) == pytest.approx(0.4)  # the next slot, not at once after a quiet spell
    assert board.flush(T0 + 4.0) is None
    assert [(m["seq"], m["entries"][0]["plays"]) for m in drain(slow)] == [(3, 8), (4, 9)]


def test_slow_clients_are_spread_over_phase_groups_with_their_own_slots():
    board, _ = board_and_queue()
    keys, queues = [], []
    for _ in range(3):  # as /ws/live does: join, then subscribe at once
        keys.append(board.join("US", "5m", 1.0)[0])
        queues.append(board.hub.subscribe(keys[-1]).pending)
    assert [key[3] for key in keys] == [0, 1, 2]
    board.ingest(partials(1))
    assert board.flush(T0) == pytest.approx(0.05)  # group 1's slot is 50 ms after group 0's
    assert [len(q) for q in queues] == [1, 0, 0]
    board.flush(T0 + 0.05)
    board.flush(T0 + 0.1)
    assert [[orjson.loads(m)["seq"] for m in q] for q in queues] == [[1], [1], [1]]

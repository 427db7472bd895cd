"""LiveBoard's merge of the partitions' partials: how fresh the board is, over every partition."""

from __future__ import annotations

import orjson
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.hub import FanoutHub
from topsongs_core.live import PartitionCandidates

from tests.dashboard_api.messages import us_5m


def partials(parts: dict[str, PartitionCandidates]) -> bytes:
    return us_5m(parts, partitions=3)


def test_plays_add_up_over_partitions_and_the_newest_play_is_the_latest_of_them() -> None:
    hub = FanoutHub(queue_size=10)
    board = LiveBoard(("US",), ("5m",), 10, hub, rate_hz=4)
    queue = hub.subscribe(board.join("US", "5m")[0]).pending
    board.ingest(
        partials(
            {
                "0": PartitionCandidates(
                    late_dropped=0, entries=[], plays=5, newest_play_at="2025-04-23T14:03:10Z"
                ),
                "1": PartitionCandidates(late_dropped=0, entries=[], plays=0),
            }
        )
    )
    board.ingest(
        partials(
            {
                "2": PartitionCandidates(
                    late_dropped=0, entries=[], plays=7, newest_play_at="2025-04-23T14:03:58Z"
                )
            }
        )
    )
    board.flush(1024.0)
    frame = orjson.loads(queue.popleft())
    assert (frame["plays"], frame["newest_play_at"]) == (12, "2025-04-23T14:03:58Z")
    snapshot = board.snapshot("US", "5m")
    assert (snapshot.plays, snapshot.newest_play_at) == (12, "2025-04-23T14:03:58Z")

    # Only the counts moved (no song entered the top N): still a frame, the board's freshness changed.
    board.ingest(
        partials(
            {
                "2": PartitionCandidates(
                    late_dropped=0, entries=[], plays=8, newest_play_at="2025-04-23T14:03:59Z"
                )
            }
        )
    )
    board.flush(1030.0)
    assert orjson.loads(queue.popleft())["plays"] == 13


def test_a_board_without_plays_has_no_newest_play() -> None:
    board = LiveBoard(("US",), ("5m",), 10, FanoutHub(queue_size=10), rate_hz=4)
    assert (board.snapshot("US", "5m").plays, board.snapshot("US", "5m").newest_play_at) == (0, None)

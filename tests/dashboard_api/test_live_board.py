"""LiveBoard's merge of the partitions' partials: how fresh the board is, over every partition, and
the POST → WebSocket latency it observes per pushed update."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.hub import FanoutHub
from dashboard_api.live.latency import PushLatency
from topsongs_core.live import ChartPartials, PartitionCandidates, decode_partials
from topsongs_core.timefmt import iso_z

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


def sampled(latency: PushLatency) -> tuple[float | None, float | None]:
    """The histogram's count and the pushed plays, as this process's registry holds them."""
    count = latency.registry.get_sample_value("dashboard_live_push_latency_seconds_count")
    return count, latency.registry.get_sample_value("dashboard_live_pushed_plays_total")


def test_push_latency_is_observed_once_per_update_of_the_measured_window(tmp_path: Path) -> None:
    latency = PushLatency(tmp_path)
    hub = FanoutHub(queue_size=10)
    board = LiveBoard(("US",), ("5m", "hour"), 10, hub, rate_hz=4, latency=latency)
    accepted = time.time() - 2

    def share(plays: int, at: float | None) -> PartitionCandidates:
        return PartitionCandidates(
            late_dropped=0,
            entries=[],
            plays=plays,
            newest_accepted_at=iso_z(at) if at is not None else None,
            accepted_plays=plays if at is not None else 0,
        )

    # Clients at other rates (a spread 1/s class, a fast 20/s one) get their own frames of the same
    # plays: neither adds an observation nor plays; the default rate's outlet observes without clients.
    subs = [hub.subscribe(board.join("US", "5m", rate)[0]) for rate in (1.0, 20.0)]
    # Two records merged into one update: one observation, the newest play's age, both records' plays.
    board.ingest(partials({"0": share(3, accepted - 5), "1": share(2, accepted)}))
    board.ingest(partials({"2": share(4, accepted - 1)}))
    # The hour window's record of the same publish carries the same plays: not counted again.
    board.ingest(
        ChartPartials.model_validate(
            {**decode_partials(partials({"0": share(3, accepted - 5)})).model_dump(), "window": "hour"}
        )
    )
    board.flush()
    board.flush(time.time() + 2)  # every phase group of the 1/s class has had its slot
    assert [len(sub.pending) for sub in subs] == [1, 1]
    count, plays = sampled(latency)
    assert (count, plays) == (1, 9)
    age = latency.registry.get_sample_value("dashboard_live_push_latency_seconds_sum") or 0
    assert 2 <= age < 60
    # A record replayed from the backlog at start (or after a reconnect): its plays are not measured.
    board.ingest(partials({"2": share(5, accepted - 600)}), measure=False)
    board.flush(time.time() + 5)
    assert sampled(latency) == (1, 9)
    # A republish without new plays changes nothing: no frame, no observation.
    board.ingest(partials({"2": share(4, None)}))
    board.flush(time.time() + 10)
    assert sampled(latency) == (1, 9)

    # Workers sharing a multiprocess folder: only the one holding its lock observes, until it closes.
    other = PushLatency(tmp_path)
    other.observe(1.0, 5)
    assert sampled(other) == (0, 0)
    latency.close()
    other.observe(1.0, 5)
    assert sampled(other) == (1, 5)
    other.close()

"""Live-topic records for the dashboard-api tests, built from core's models."""

from __future__ import annotations

from topsongs_core.live import Candidate, ChartPartials, PartitionCandidates, encode


def us_5m(parts: dict[str, PartitionCandidates], partitions: int = 1) -> bytes:
    """A worker's chart-partials record for US, 5m, updating ``parts``."""
    return encode(
        ChartPartials(
            region="US",
            window="5m",
            window_start="2025-04-23T14:00:00Z",
            window_end="2025-04-23T14:05:00Z",
            generated_at="2025-04-23T14:04:59.000Z",
            partitions=partitions,
            parts=parts,
        )
    )


def one_song(song_id: str, plays: int) -> bytes:
    """A worker's chart-partials record for US, 5m: one partition, one song."""
    song = Candidate(song_id=song_id, title="t", artist="a", plays=plays)
    return us_5m({"0": PartitionCandidates(late_dropped=0, entries=[song])})

"""The ledger's compaction and restore: sealing, expiry and a crash between writes never change counts."""

from __future__ import annotations

import uuid

from streams.ledger import id_hash, split_key
from streams.partition_tally import BatchTally, PartitionTally

LATENESS, HORIZON, RETENTION = 600.0, 600.0, 71
T0 = 1_800_000_000.0  # a fixed wall clock, minute-aligned


def tally() -> PartitionTally:
    return PartitionTally(0, LATENESS, HORIZON, RETENTION)


def feed(state: PartitionTally, ledger: dict, plays: list[tuple[int, float]], now: float, offset: int):
    """Count ``(fingerprint, played_at)`` plays of song s-1 as one batch; apply its write to ``ledger``."""
    batch = BatchTally()
    for i, (fingerprint, played) in enumerate(plays):
        state.observe(batch, offset + i, fingerprint, "US", "s-1", ("T", "A"), played)
    write = state.commit(batch, now)
    if write:
        ledger[write[0]] = write[1]


def apply(ledger: dict, writes: list) -> None:
    for key, value in writes:
        if value is None:
            ledger.pop(key, None)
        else:
            ledger[key] = value


def restored(ledger: dict, now: float) -> PartitionTally:
    state = tally()
    state.restore(ledger.items(), now)
    return state


def ids(n: int) -> list[int]:
    return [id_hash(uuid.uuid4()) for _ in range(n)]


def test_duplicates_and_late_plays_in_one_batch_are_one_delta() -> None:
    state, ledger = tally(), {}
    first = ids(3)
    feed(state, ledger, [(first[0], T0), (first[1], T0 + 1), (first[0], T0 + 2)], T0, offset=0)
    feed(state, ledger, [(first[2], T0 - 2 * LATENESS)], T0, offset=3)
    assert state.minutes[("US", "s-1")] == {int(T0 // 60): 2}
    assert state.late == {"US": 1}
    assert sorted(split_key(k)[1] for k in ledger) == ["d", "d"]
    again = restored(ledger, T0 + 1)
    assert again.minutes == state.minutes and again.late == state.late and again.seen == state.seen


def test_compaction_seals_expires_and_folds_without_changing_counts() -> None:
    state, ledger = tally(), {}
    feed(state, ledger, [(h, T0 + 5) for h in ids(4)], T0, offset=0)
    feed(state, ledger, [(h, T0 - 2 * LATENESS) for h in ids(2)], T0 + 1, offset=4)  # late
    later = T0 + LATENESS + 120
    feed(state, ledger, [(h, later) for h in ids(1)], later, offset=6)  # moves the watermark on
    apply(ledger, state.compact(later + HORIZON))
    kinds = sorted(split_key(k)[1] for k in ledger)
    # First deltas spent; the newest still pins its ids; the late play's hour has closed.
    assert kinds == ["d", "h", "late", "m"], kinds
    for probe in (state, restored(ledger, later + HORIZON)):
        assert probe.minutes[("US", "s-1")] == {int((T0 + 5) // 60): 4, int(later // 60): 1}
        assert probe.late == {"US": 2}


def test_crash_after_folding_but_before_deleting_deltas_counts_once() -> None:
    state, ledger = tally(), {}
    feed(state, ledger, [(h, T0 + 5) for h in ids(3)], T0, offset=0)
    feed(state, ledger, [(h, T0 - 2 * LATENESS) for h in ids(1)], T0, offset=3)
    later = T0 + LATENESS + 120
    feed(state, ledger, [(h, later) for h in ids(1)], later, offset=4)
    writes = state.compact(later + HORIZON)
    apply(ledger, [w for w in writes if w[1] is not None])  # sealed minute and late record only
    again = restored(ledger, later + HORIZON)
    assert again.minutes[("US", "s-1")][int((T0 + 5) // 60)] == 3
    assert again.late == {"US": 1}
    apply(ledger, again.compact(later + HORIZON))  # the lost deletions go out now
    assert sorted(split_key(k)[1] for k in ledger) == ["d", "h", "late", "m"]


def test_fingerprints_survive_a_restart_within_the_horizon_only() -> None:
    state, ledger = tally(), {}
    seen = ids(2)
    feed(state, ledger, [(h, T0) for h in seen], T0, offset=0)
    within = restored(ledger, T0 + HORIZON - 1)
    batch = BatchTally()
    within.observe(batch, 2, seen[0], "US", "s-1", ("T", "A"), T0)
    assert batch.duplicates == {"US": 1} and not batch.counts
    beyond = restored(ledger, T0 + HORIZON + 1)
    assert not beyond.seen


def test_minutes_past_retention_are_dropped_with_their_sealed_records() -> None:
    state, ledger = tally(), {}
    feed(state, ledger, [(h, T0) for h in ids(2)], T0, offset=0)
    later = T0 + LATENESS + 120
    feed(state, ledger, [(h, later) for h in ids(1)], later, offset=2)
    apply(ledger, state.compact(later + HORIZON))
    far = T0 + (RETENTION + 2) * 60
    apply(ledger, state.compact(far))
    assert int(T0 // 60) not in state.minutes.get(("US", "s-1"), {})
    assert not any(split_key(k) == (0, "m", int(T0 // 60)) for k in ledger)


def test_a_closed_hour_keeps_its_counts_and_takes_later_plays_as_late_in_its_hour() -> None:
    state, ledger = tally(), {}
    hour = int(T0 // 3600)
    feed(state, ledger, [(h, T0 + 60 * i) for i, h in enumerate(ids(3))], T0 + 180, offset=0)
    closes = T0 + 3600 + LATENESS
    apply(ledger, state.compact(closes - 1))
    assert hour not in state.hours.finals  # open until its end + the lateness
    apply(ledger, state.compact(closes))
    assert state.hours.finals[hour] == {"US": [3, [["s-1", 3]]]}
    assert (0, "h", hour) in {split_key(k) for k in ledger}
    state.hours.take_unpublished()
    # The watermark is still in that hour, but the hour is closed: late, attributed to it.
    feed(state, ledger, [(h, T0 + 1800) for h in ids(2)], closes + 1, offset=3)
    assert state.minutes[("US", "s-1")] == {int((T0 + 60 * i) // 60): 1 for i in range(3)}
    assert state.hours.record("US", hour) == (3, 2, [["s-1", 3]])
    assert state.hours.take_unpublished() == [(hour, {"US"})]
    for probe in (restored(ledger, closes + 2), restored(ledger, closes + 7200)):
        assert probe.hours.record("US", hour) == (3, 2, [["s-1", 3]])
        assert dict(probe.hours.take_unpublished())[hour] is None  # everything republished


def test_restore_closes_hours_that_ended_while_nobody_owned_the_partition() -> None:
    state, ledger = tally(), {}
    hour = int(T0 // 3600)
    feed(state, ledger, [(h, T0 + 5) for h in ids(4)], T0 + 10, offset=0)
    later = T0 + 4 * 3600  # the minutes are past retention by now
    again = restored(ledger, later)
    assert again.hours.record("US", hour) == (4, 0, [["s-1", 4]])
    apply(ledger, again.compact(later))
    assert restored(ledger, later + 1).hours.record("US", hour) == (4, 0, [["s-1", 4]])

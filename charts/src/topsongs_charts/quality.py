"""Data-quality checks: each raises DataQualityError, failing the task loudly."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc


class DataQualityError(RuntimeError):
    """The batch produced numbers that do not add up; nothing downstream should trust them."""


def require_no_nulls(table: pa.Table, columns: list[str], what: str) -> None:
    """Key columns must be filled in every row."""
    for name in columns:
        nulls = table[name].null_count
        if nulls:
            raise DataQualityError(f"{what}: {nulls} rows with null {name}")


def require_unique(table: pa.Table, column: str, what: str) -> None:
    """No value of ``column`` appears twice."""
    distinct = pc.count_distinct(table[column]).as_py()
    if distinct != table.num_rows:
        raise DataQualityError(f"{what}: {table.num_rows - distinct} duplicate {column} values")


def require_known_regions(table: pa.Table, regions: tuple[str, ...], what: str) -> None:
    """Every play's region is one the batch charts: ingest accepted it, so a region missing here is
    configuration drift between the services, not a bad play."""
    found = {r for r in pc.unique(table["region"]).to_pylist() if r is not None}
    unknown = sorted(found - set(regions))
    if unknown:
        raise DataQualityError(
            f"{what}: plays of regions {', '.join(unknown)} that this service's TOPSONGS_REGIONS "
            f"({','.join(regions)}) lacks; give ingest and the batch the same TOPSONGS_REGIONS"
        )


def require_equal(label: str, **counts: int) -> None:
    """All named counts are the same number."""
    if len(set(counts.values())) > 1:
        detail = ", ".join(f"{k}={v}" for k, v in counts.items())
        raise DataQualityError(f"{label}: counts differ ({detail})")


def require_same_totals(label: str, **totals: Mapping[str, int]) -> None:
    """Per-region totals agree across every named source (a region missing counts as 0)."""
    regions = sorted(set().union(*(t.keys() for t in totals.values())))
    for region in regions:
        require_equal(f"{label} region {region}", **{k: t.get(region, 0) for k, t in totals.items()})


def require_ranks(top: pa.Table, what: str) -> None:
    """Ranks run 1..k within every region, and plays never increase with rank."""
    previous: tuple[str, int, int] | None = None
    for region, rank, plays in zip(
        top["region"].to_pylist(), top["rank"].to_pylist(), top["plays"].to_pylist(), strict=True
    ):
        expected = previous[1] + 1 if previous and previous[0] == region else 1
        if rank != expected or (previous and previous[0] == region and plays > previous[2]):
            raise DataQualityError(f"{what}: bad rank {rank} in region {region}")
        previous = (region, rank, plays)

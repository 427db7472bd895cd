"""DuckDB in-process over Arrow tables: the batch steps' compute engine."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa


def query(sql: str, tables: Mapping[str, pa.Table], params: Mapping[str, object] | None = None) -> pa.Table:
    """Run one SQL statement over the named Arrow tables and return the result as Arrow."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(sql, params=dict(params) if params else None).to_arrow_table()
    finally:
        con.close()

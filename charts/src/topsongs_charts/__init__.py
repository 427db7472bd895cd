"""Batch charts: lake ETL, hourly and daily rollups, PostgreSQL loads and migrations."""

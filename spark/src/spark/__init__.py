"""spark: Spark Structured Streaming from the plays topic into the raw Parquet lake."""

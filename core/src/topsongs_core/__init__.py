"""topsongs_core."""

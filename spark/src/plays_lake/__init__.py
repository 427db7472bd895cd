"""plays_lake."""

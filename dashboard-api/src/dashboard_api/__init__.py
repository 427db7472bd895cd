"""dashboard_api."""

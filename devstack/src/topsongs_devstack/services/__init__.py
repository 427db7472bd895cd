"""Services of this repository that devstack runs in the background (one module each)."""

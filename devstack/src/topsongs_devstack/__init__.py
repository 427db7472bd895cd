"""topsongs_devstack."""

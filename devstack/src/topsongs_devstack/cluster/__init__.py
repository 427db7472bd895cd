"""The cluster profile: the same devstack code, each process on its own loopback address (docs/cluster.md)."""

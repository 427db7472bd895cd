"""The cluster profile's tests: a package, so that its one profile (conftest.py) stops after them."""

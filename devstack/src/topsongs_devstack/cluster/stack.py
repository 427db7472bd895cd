"""The ordered set of components the cluster profile manages."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.component import Component

# Start order: Kafka, Spark, the services and their balancer, Airflow. Each module exposes one factory.
PARTS = (("kafka", "nodes"), ("spark", "components"), ("apps", "components"), ("airflow", "components"))


def _factory(module: str, name: str) -> Callable[[ClusterSettings], list[Component]] | None:
    qualified = f"topsongs_devstack.cluster.{module}"
    try:
        module_object = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name != qualified:
            raise  # the part exists but something it imports is missing: say so
        return None  # a part not written yet
    found: Callable[[ClusterSettings], list[Component]] = getattr(module_object, name)
    return found


def components(settings: ClusterSettings | None = None) -> list[Component]:
    """Every part's components, in start order."""
    settings = settings or ClusterSettings()
    every: list[Component] = []
    for module, name in PARTS:
        build = _factory(module, name)
        if build is not None:
            every.extend(build(settings))
    return every


def select(names: list[str] | None, settings: ClusterSettings | None = None) -> list[Component]:
    """The named components (all when ``names`` is empty), in start order."""
    every = components(settings)
    if not names:
        return every
    known = {c.name for c in every}
    unknown = set(names) - known
    if unknown:
        raise SystemExit(f"unknown component(s) {sorted(unknown)}; known: {sorted(known)}")
    return [c for c in every if c.name in names]

"""The Grafana dashboards ask only for metrics the stack really exports: every metric each panel's query
names has series in a live Prometheus scraping ingest, the live worker, dashboard-api and the lag
monitor under load."""

from __future__ import annotations

import re

import httpx
from topsongs_devstack.deployment.grafana import expressions

from tests.devstack.test_prometheus import (  # noqa: F401 (stack is a fixture)
    client_key,
    devstack,
    poll,
    prometheus,
    send_plays,
    stack,
)

COMPONENTS = ("ingest", "streams", "dashboard-api", "monitor", "prometheus")
# PromQL words an expression holds that are no metric.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
# Made by Prometheus itself from the alert rules it loaded, not scraped.
FROM_RULES = {"ALERTS"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels, ranges and keywords left out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    found = re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\(?)", expr)
    return {name for name, call in found if not call and name not in KEYWORDS}


def test_metric_names_of_an_expression() -> None:
    expr = 'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="y{"}[5m]))) / on (j) b - time()'
    assert metric_names(expr) == {"a_bucket", "b"}


def has_series(env: dict[str, str], name: str) -> bool:
    """Whether the private Prometheus holds a series of metric ``name`` (scraped in the last 5 min)."""
    answer = httpx.get(f"{prometheus(env)}/api/v1/series", params={"match[]": name}, timeout=5)
    answer.raise_for_status()
    return bool(answer.json()["data"])


def test_every_panel_names_only_exported_metrics(stack: dict[str, str]) -> None:  # noqa: F811
    up = devstack(stack, "up", *COMPONENTS)
    assert up.returncode == 0, up.stdout + up.stderr
    send_plays(stack, 10)
    # one refused request, so the rejections panel's metric has a series too
    refused = httpx.post(
        f"http://127.0.0.1:{stack['DEVSTACK_INGEST_PORT']}/plays",
        content=b"{not json",
        headers={"X-API-Key": client_key(stack), "Content-Type": "application/json"},
        timeout=10,
    )
    assert refused.status_code == 422, refused.text

    names = set().union(*(metric_names(expr) for expr in expressions()))
    assert len(names) >= 9, names
    scraped = sorted(names - FROM_RULES)
    poll(
        lambda: [name for name in scraped if not has_series(stack, name)],
        lambda missing: not missing,
        "dashboard metrics without a series",
    )
    rules = httpx.get(f"{prometheus(stack)}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert rules, "Prometheus loaded no alert rules, so ALERTS cannot exist"
    for expr in expressions():
        answer = httpx.get(f"{prometheus(stack)}/api/v1/query", params={"query": expr}, timeout=5)
        assert answer.status_code == 200, f"{expr}: {answer.text}"

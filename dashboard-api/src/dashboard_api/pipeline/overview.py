"""The pipeline's state read from Prometheus, cached for a few seconds so polling pages share reads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from cachetools import TTLCache

from dashboard_api.pipeline.models import (
    Alert,
    Freshness,
    Health,
    Pipeline,
    PrometheusState,
    Series,
    StageView,
)
from dashboard_api.pipeline.prometheus import PrometheusClient, PrometheusUnavailable
from dashboard_api.pipeline.queries import QUERIES, STAGES, Stage, up_query

SERIES_WINDOW = timedelta(minutes=15)
SERIES_STEP_S = 15
_FIGURES = ("rate", "lag_records", "lag_seconds", "freshness_seconds", "push_latency_seconds")


class PipelineOverview:
    """Stages, alerts and series of the allow-listed queries, each kept ``ttl_s`` seconds."""

    def __init__(self, client: PrometheusClient, ttl_s: float) -> None:
        self.client = client
        self._cache: TTLCache[str, Pipeline | Series] = TTLCache(64, ttl_s)

    async def pipeline(self) -> Pipeline:
        """Every stage with its figures and health, and the alerts pending or firing."""
        cached = self._cache.get("pipeline")
        if isinstance(cached, Pipeline):
            return cached
        try:
            values, alerts = await asyncio.gather(self._values(), self.client.alerts())
            stages = [_stage(stage, values) for stage in STAGES]
            state = PrometheusState(status="up", detail=None)
        except PrometheusUnavailable as error:
            stages, alerts = [_unknown(stage) for stage in STAGES], []
            state = PrometheusState(status="down", detail=str(error))
        view = Pipeline(
            prometheus=state, stages=stages, alerts=[_alert(a) for a in alerts], as_of=datetime.now(UTC)
        )
        self._cache["pipeline"] = view
        return view

    async def _values(self) -> dict[str, float | None]:
        """Every query the stages need, at once; the first failure (all settled) raises."""
        queries = sorted({q for stage in STAGES for q in _queries(stage)})
        answers = await asyncio.gather(*(self.client.instant(q) for q in queries), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        return dict(zip(queries, cast(list[float | None], answers), strict=True))

    async def series(self, name: str) -> Series:
        """The allow-listed query ``name`` over the last 15 minutes, one point per step."""
        cached = self._cache.get(f"series:{name}")
        if isinstance(cached, Series):
            return cached
        end = datetime.now(UTC)
        try:
            points = await self.client.series(QUERIES[name], end - SERIES_WINDOW, end, SERIES_STEP_S)
            state = PrometheusState(status="up", detail=None)
        except PrometheusUnavailable as error:
            points, state = [], PrometheusState(status="down", detail=str(error))
        view = Series(
            name=name, step_seconds=SERIES_STEP_S, points=[(t, v) for t, v in points], prometheus=state
        )
        self._cache[f"series:{name}"] = view
        return view


def _queries(stage: Stage) -> list[str]:
    """The PromQL of the stage's figures and health checks."""
    named = [QUERIES[name] for figure in _FIGURES if (name := getattr(stage, figure))]
    fresh = [QUERIES[name] for name in _fresh_names(stage)]
    return [*named, *fresh, up_query(stage.job), *([stage.healthy] if stage.healthy else [])]


def _fresh_names(stage: Stage) -> list[str]:
    return [f"{s}_{figure}" for s in stage.fresh for figure in ("newest_seconds", "last_success_seconds")]


def _stage(stage: Stage, values: dict[str, float | None]) -> StageView:
    figures = {f: values[QUERIES[n]] if (n := getattr(stage, f)) else None for f in _FIGURES}
    checks = [values[up_query(stage.job)], *([values[stage.healthy]] if stage.healthy else [])]
    fresh = [
        Freshness(
            stage=s,
            newest_seconds=values[QUERIES[f"{s}_newest_seconds"]],
            last_success_seconds=values[QUERIES[f"{s}_last_success_seconds"]],
        )
        for s in stage.fresh
    ]
    return StageView.model_validate(
        {**_identity(stage), "health": _health(checks), **figures, "freshness": fresh}
    )


def _identity(stage: Stage) -> dict[str, Any]:
    series = [getattr(stage, figure) for figure in _FIGURES if getattr(stage, figure)] + _fresh_names(stage)
    return {
        "id": stage.id,
        "title": stage.title,
        "job": stage.job,
        "rate_unit": stage.rate_unit,
        "series": series,
    }


def _health(checks: list[float | None]) -> Health:
    """unknown while not scraped; up when every check is 1; down otherwise."""
    if checks[0] is None:
        return "unknown"
    return "up" if all(c is not None and c >= 1 for c in checks) else "down"


def _unknown(stage: Stage) -> StageView:
    fresh = [Freshness(stage=s, newest_seconds=None, last_success_seconds=None) for s in stage.fresh]
    return StageView.model_validate(
        {**_identity(stage), "health": "unknown", **dict.fromkeys(_FIGURES), "freshness": fresh}
    )


def _alert(raw: dict[str, Any]) -> Alert:
    labels, annotations = raw.get("labels", {}), raw.get("annotations", {})
    return Alert(
        name=labels.get("alertname", "?"),
        state=raw["state"],
        severity=labels.get("severity"),
        summary=annotations.get("summary"),
        active_at=raw.get("activeAt"),
    )

"""Prometheus' HTTP API, read with one async httpx client for the app's lifetime."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx


class PrometheusUnavailable(RuntimeError):
    """Prometheus did not answer, or answered with an error; the message says which."""


class PrometheusClient:
    """Instant and range queries and the alerts of the Prometheus at ``url``."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.url, timeout=timeout_s)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        try:
            answer = await self._client.get(path, params=params)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise PrometheusUnavailable(f"{self.url} does not answer ({type(error).__name__})") from error
        if body.get("status") != "success":
            raise PrometheusUnavailable(f"{self.url} answered {answer.status_code}: {body.get('error')}")
        return body["data"]

    async def instant(self, query: str) -> float | None:
        """The value of a query that yields one series (its first, if more); None when it has none."""
        result = (await self._get("/api/v1/query", {"query": query}))["result"]
        return float(result[0]["value"][1]) if result else None

    async def series(self, query: str, start: datetime, end: datetime, step_s: int) -> list[list[float]]:
        """``[[unix time, value], ...]`` of the query's first series over ``[start, end]``."""
        params = {"query": query, "start": str(start.timestamp()), "end": str(end.timestamp())}
        result = (await self._get("/api/v1/query_range", {**params, "step": f"{step_s}s"}))["result"]
        return [[float(t), float(v)] for t, v in result[0]["values"]] if result else []

    async def alerts(self) -> list[dict[str, Any]]:
        """Alerts pending or firing now, as ``/api/v1/alerts`` lists them."""
        return list((await self._get("/api/v1/alerts"))["alerts"])

"""Recently read charts, so repeated reads of the same interval skip PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from cachetools import TTLCache

Rows = list[dict[str, Any]]


class ChartCache:
    """Closed intervals with data are kept for ``closed_ttl_s`` (a load re-run shows up after that);
    open or still-empty intervals only for ``open_ttl_s``, so new loads appear almost at once.
    What "with data" means is the reader's ``filled`` (by default: any row)."""

    def __init__(self, closed_ttl_s: float, open_ttl_s: float, maxsize: int = 8192) -> None:
        self._closed: TTLCache[Hashable, Rows] = TTLCache(maxsize, closed_ttl_s)
        self._open: TTLCache[Hashable, Rows] = TTLCache(maxsize, open_ttl_s)

    async def read(
        self,
        key: Hashable,
        closed: bool,
        load: Callable[[], Awaitable[Rows]],
        filled: Callable[[Rows], bool] = bool,
    ) -> Rows:
        """The cached rows for ``key``, loading and remembering them on a miss."""
        for cache in (self._closed, self._open):
            rows = cache.get(key)
            if rows is not None:
                return rows
        rows = await load()
        (self._closed if closed and filled(rows) else self._open)[key] = rows
        return rows

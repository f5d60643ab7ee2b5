"""The Agents API's two limits on ``POST /generations``, with their two kinds of 429 (luma-agents-api.md §9).

Per minute: a sliding 60 s window; a refusal says ``Retry-After`` (until the oldest request ages out) and carries
``X-RateLimit-*``. Concurrency: generations not yet completed or failed; a refusal says ``Retry-After: 60`` and
nothing else. Every request the limiter lets through counts against the minute, even one that then fails
validation (inferred: the limit guards the endpoint, before the body is read).
"""

from __future__ import annotations

import math
import time

from starlette.exceptions import HTTPException

from luma_mcp.emulator.agents.config import AgentsConfig
from luma_mcp.emulator.agents.store import AgentsStore
from luma_mcp.emulator.limits import SlidingWindow


class GenerationLimits:
    def __init__(self, config: AgentsConfig, store: AgentsStore, window: SlidingWindow) -> None:
        self._config = config
        self._store = store
        self._window = window

    def admit(self, owner: str) -> dict[str, str]:
        """Count one create request, or raise the 429 that refuses it; the rate headers a 201 then carries."""
        per_minute = self._config.requests_per_minute
        if per_minute is not None and len(self._window.recent(owner)) >= per_minute:
            retry_after = self._window.seconds_until_room(owner)
            headers = {"Retry-After": str(retry_after), **self._rate_headers(per_minute, 0, retry_after)}
            raise HTTPException(429, "Rate limit exceeded", headers=headers)
        concurrent = self._config.max_concurrent
        if concurrent is not None and self._store.count_unfinished(owner) >= concurrent:
            raise HTTPException(
                429, "Too many concurrent jobs", headers={"Retry-After": str(self._config.concurrency_retry_after)}
            )
        self._window.record(owner)
        if per_minute is None:
            return {}
        return self._rate_headers(per_minute, per_minute - len(self._window.recent(owner)), self._window.seconds)

    @staticmethod
    def _rate_headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(math.ceil(time.time() + reset_in)),
        }

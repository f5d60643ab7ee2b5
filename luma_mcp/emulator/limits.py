"""Luma's per-account limits on creates: generations in flight and creates per minute (both answer 429)."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

from starlette.exceptions import HTTPException

from luma_mcp.emulator.config import EmulatorConfig
from luma_mcp.emulator.store import GenerationStore

RATE_WINDOW_SECONDS = 60.0


class CreateLimits:
    """Admits or refuses a tenant's next create; only creates that went through use up the per-minute budget."""

    def __init__(self, config: EmulatorConfig, store: GenerationStore) -> None:
        self._config = config
        self._store = store
        self._recent_creates: defaultdict[str, deque[float]] = defaultdict(deque)

    def check(self, owner: str) -> None:
        """Raise a 429 if ``owner`` may not create another generation right now."""
        per_minute = self._config.creates_per_minute
        if per_minute is not None:
            recent = self._recent(owner)
            if len(recent) >= per_minute:
                wait = RATE_WINDOW_SECONDS - (time.monotonic() - recent[0])
                raise HTTPException(
                    429,
                    f"Too many requests: at most {per_minute} generations may be created per minute",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        concurrent = self._config.max_concurrent
        if concurrent is not None and self._store.count_unfinished(owner) >= concurrent:
            raise HTTPException(
                429, f"Too many concurrent generations: at most {concurrent} may be queued or dreaming at once"
            )

    def clear(self) -> None:
        """Forget every create counted, as if none had been made."""
        self._recent_creates.clear()

    def record(self, owner: str) -> None:
        self._recent_creates[owner].append(time.monotonic())

    def _recent(self, owner: str) -> deque[float]:
        recent = self._recent_creates[owner]
        while recent and time.monotonic() - recent[0] >= RATE_WINDOW_SECONDS:
            recent.popleft()
        return recent

"""Luma's per-account limits on creates: generations in flight and creates per minute (both answer 429)."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

from starlette.exceptions import HTTPException

from luma_mcp.emulator.config import EmulatorConfig
from luma_mcp.emulator.store import GenerationStore

RATE_WINDOW_SECONDS = 60.0


class SlidingWindow:
    """When each tenant's recent requests came, forgetting those older than the window."""

    def __init__(self, seconds: float = RATE_WINDOW_SECONDS) -> None:
        self.seconds = seconds
        self._times: defaultdict[str, deque[float]] = defaultdict(deque)

    def recent(self, owner: str) -> deque[float]:
        """``time.monotonic()`` of each of ``owner``'s requests still in the window, oldest first."""
        times = self._times[owner]
        while times and time.monotonic() - times[0] >= self.seconds:
            times.popleft()
        return times

    def record(self, owner: str) -> None:
        self._times[owner].append(time.monotonic())

    def clear(self) -> None:
        self._times.clear()

    def seconds_until_room(self, owner: str) -> int:
        """Whole seconds (at least 1) until the oldest request in the window ages out of it."""
        recent = self.recent(owner)
        wait = self.seconds - (time.monotonic() - recent[0]) if recent else 0.0
        return max(1, math.ceil(wait))


class CreateLimits:
    """Admits or refuses a tenant's next create; only creates that went through use up the per-minute budget. Luma
    limits image jobs (Photon's) apart from video jobs, so each kind has its own budget."""

    def __init__(self, config: EmulatorConfig, store: GenerationStore) -> None:
        self._config = config
        self._store = store
        self._recent_creates = SlidingWindow()

    def check(self, owner: str, made: str) -> None:
        """Raise a 429 if ``owner`` may not create another ``made`` ("video" or "image") right now."""
        images = made == "image"
        per_minute = self._config.image_creates_per_minute if images else self._config.creates_per_minute
        window = f"{owner} {made}"
        if per_minute is not None and len(self._recent_creates.recent(window)) >= per_minute:
            raise HTTPException(
                429,
                f"Too many requests: at most {per_minute} generations may be created per minute",
                headers={"Retry-After": str(self._recent_creates.seconds_until_room(window))},
            )
        concurrent = self._config.image_max_concurrent if images else self._config.max_concurrent
        if concurrent is not None and self._store.count_unfinished(owner, made) >= concurrent:
            raise HTTPException(
                429, f"Too many concurrent generations: at most {concurrent} may be queued or dreaming at once"
            )

    def clear(self) -> None:
        """Forget every create counted, as if none had been made."""
        self._recent_creates.clear()

    def record(self, owner: str, made: str) -> None:
        self._recent_creates.record(f"{owner} {made}")

"""`CreateQueue`: keeps paid creates within Luma's limits by waiting here, in the open, instead of failing.

Luma's Build tier allows 20 create requests a minute and 10 video generations in flight per account. A burst of
requests from an assistant (a storyboard of twelve shots, say) would otherwise come back as rate-limit errors the
model has to understand and retry. Here each create waits for a slot, and the caller is told what it waits for.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

from .errors import RateLimitError
from .timing import time_left

T = TypeVar("T")
Report = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class CreateLimits:
    """`per_window` creates per `window` seconds (Luma: 20 a minute). When Luma answers 429 without a
    Retry-After (all 10 in-flight slots taken, say), try again after `busy_retry` seconds."""

    per_window: int = 20
    window: float = 60.0
    busy_retry: float = 5.0


class CreateQueue:
    """`reserve`: queueing stops that long (at most half the call's time) before the call's deadline, so the
    create itself, and the search for it should its answer be lost, still fit in the call."""

    def __init__(self, limits: CreateLimits, *, reserve: float) -> None:
        self._limits = limits
        self._reserve = reserve
        self._sent: deque[float] = deque()

    async def submit(self, create: Callable[[], Awaitable[T]], *, report: Report) -> T:
        """Run `create` once a slot is free; give up with `RateLimitError` if none frees in time for it to run
        within the current call (see `luma_mcp.timing`)."""
        latest_start = anyio.current_time() + time_left(leave=self._reserve)
        while True:
            await self._take_slot(latest_start, report)
            try:
                return await create()
            except RateLimitError as exc:
                delay = exc.retry_after if exc.retry_after is not None else self._limits.busy_retry
                if anyio.current_time() + delay > latest_start:
                    raise RateLimitError(
                        f"{exc} Still no free slot after waiting; nothing was created. Try again in a minute, or "
                        "wait for running generations with get_generation(wait=true) first.",
                        status_code=exc.status_code,
                        detail=exc.detail,
                        retry_after=exc.retry_after,
                    ) from exc
                await report(f"Luma is at its limit of videos in flight; queued here, trying again in {delay:.0f} s")
                await anyio.sleep(delay)

    async def _take_slot(self, latest_start: float, report: Report) -> None:
        # No lock: nothing awaits between counting the window and taking the slot, so two callers cannot both
        # take the last one; a caller that loses a race for a freed slot simply waits for the next.
        while True:
            now = anyio.current_time()
            limit, window = self._limits.per_window, self._limits.window
            while self._sent and self._sent[0] <= now - window:
                self._sent.popleft()
            if len(self._sent) < limit:
                self._sent.append(now)
                return
            free_at = self._sent[0] + window
            if free_at > latest_start:
                raise RateLimitError(
                    f"Luma allows {limit} creates per {window:.0f} s and that many were sent; the next slot "
                    f"frees in {free_at - now:.0f} s, after this call's wait limit. Nothing was created; "
                    "try again then.",
                    status_code=429,
                    detail=None,
                    retry_after=free_at - now,
                )
            await report(
                f"Luma allows {limit} creates per {window:.0f} s; queued here, sending in {free_at - now:.0f} s"
            )
            await anyio.sleep(free_at - now)

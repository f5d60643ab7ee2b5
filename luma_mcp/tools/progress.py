"""`Progress`: what a waiting tool call tells its client while Luma works, as MCP progress notifications."""

import anyio

from ..context import AppCtx
from ..models import Generation
from ..sdk_internals import asks_for_progress

TYPICAL_SECONDS = 90.0
"""How long a video usually takes: progress approaches 100 % on this scale."""


class Progress:
    """Progress that only moves forward, as the spec requires. Luma gives no percentage, so the estimate approaches
    100 as time passes and jumps to 100 on completion."""

    def __init__(self, ctx: AppCtx) -> None:
        self._ctx = ctx
        self.started = anyio.current_time()
        self._last = 0.0

    @property
    def asked(self) -> bool:
        """Whether the client asked for progress (sent a progress token): a call whose client did not waits without
        waking every second to tell nobody."""
        return asks_for_progress(self._ctx.request_context)

    @property
    def elapsed(self) -> float:
        return anyio.current_time() - self.started

    async def report(self, message: str, *, done: bool = False) -> None:
        elapsed = self.elapsed
        value = 100.0 if done else max(self._last + 0.01, round(95.0 * elapsed / (elapsed + TYPICAL_SECONDS), 2))
        if value <= self._last:
            return
        self._last = value
        await self._ctx.report_progress(value, 100.0, message)

    async def on_update(self, generation: Generation) -> None:
        """For `Account.wait`: called on every change of the generation and at each heartbeat."""
        if generation.is_terminal:
            await self.report(generation.state, done=True)
        else:
            await self.report(f"Luma is {generation.state}, {self.elapsed:.0f} s")

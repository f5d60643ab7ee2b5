"""The mechanics every tool call shares: the account it acts for, MCP progress, starting a paid generation
within Luma's limits, and the common ending of every tool that starts or looks at a generation."""

from collections.abc import Awaitable, Callable

import anyio
from mcp.types import CallToolResult, TextContent

from ..client import LumaClient
from ..context import AppContext, AppCtx
from ..errors import GenerationFailedError, NotFoundError
from ..models import Generation
from ..results import GenerationResult
from ..sdk_internals import asks_for_progress
from ..tenants import Tenant, leased_tenant
from ..timing import time_left

TYPICAL_SECONDS = 90.0
"""How long a video usually takes: progress approaches 100 % on this scale."""


def app_of(ctx: AppCtx) -> AppContext:
    return ctx.request_context.lifespan_context


def luma() -> LumaClient:
    """The Luma client of the account the current call acts for (leased by the server for the call)."""
    return leased_tenant().client


class ToolCall:
    """One tool call: the shared parts, and MCP progress that only moves forward, as the spec requires. The
    call's deadline is set by the server (see `luma_mcp.timing`); waiting for a video ends there.

    Luma gives no percentage, so the estimate approaches 100 as time passes and jumps to 100 on completion.
    """

    def __init__(self, ctx: AppCtx) -> None:
        self.ctx = ctx
        self.app = app_of(ctx)
        self.tenant: Tenant = leased_tenant()
        self.luma = self.tenant.client
        self.started = anyio.current_time()
        self._last = 0.0

    async def report(self, message: str, *, done: bool = False) -> None:
        elapsed = anyio.current_time() - self.started
        value = 100.0 if done else max(self._last + 0.01, round(95.0 * elapsed / (elapsed + TYPICAL_SECONDS), 2))
        if value <= self._last:
            return
        self._last = value
        await self.ctx.report_progress(value, 100.0, message)

    async def on_update(self, generation: Generation) -> None:
        if generation.is_terminal:
            await self.report(generation.state, done=True)
        else:
            await self.report(f"Luma is {generation.state}, {anyio.current_time() - self.started:.0f} s")

    async def create(self, start: Callable[[], Awaitable[Generation]]) -> Generation:
        """Start a paid generation once Luma's limits allow it (see `CreateQueue`)."""
        generation = await self.tenant.creates.submit(start, report=self.report)
        self.app.updates.changed(self.tenant.account, generation.id)
        return generation

    async def finish(self, generation: Generation, wait: bool) -> CallToolResult:
        """The common ending of every tool that starts or looks at a generation."""
        if wait and not generation.is_terminal:
            remaining = time_left()
            try:
                on_update = self.on_update if asks_for_progress(self.ctx.request_context) else None
                generation = await self.tenant.poller.wait(generation, timeout=remaining, on_update=on_update)
            except NotFoundError as exc:
                raise NotFoundError(
                    f"Generation {generation.id} no longer exists: it was deleted while this call waited for it. "
                    "Call list_generations to see the generations that remain.",
                    status_code=exc.status_code,
                    detail=exc.detail,
                ) from exc
        if generation.state == "failed":
            raise GenerationFailedError(generation.id, generation.failure_reason)
        next_step = None
        if not generation.is_terminal:
            waited = f"Still {generation.state} after {anyio.current_time() - self.started:.0f} s. " if wait else ""
            next_step = (
                f"{waited}Call get_generation with generation_id='{generation.id}' and wait=true to wait for the "
                "video (videos usually take 1-3 minutes). Do not create it again."
            )
        result = GenerationResult.of(generation, next_step)
        return CallToolResult(
            content=[TextContent(type="text", text=result.summary())], structured_content=result.model_dump(mode="json")
        )

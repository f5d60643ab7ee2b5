"""`build_server`: the MCP server, its long-lived parts, and how they are opened and closed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import anyio
from mcp.server import MCPServer, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import ValidationError

from . import __version__
from .admission import CreateLimits
from .context import AppContext
from .downloads import Downloader
from .errors import LumaMCPError
from .inputs import describe_invalid_arguments
from .models import Generation
from .poller import PollSchedule
from .prompts import register_prompts
from .resources import register_resources
from .settings import Settings
from .subscriptions import GENERATION_URI_PREFIX, ResourceUpdates
from .tenants import Tenants
from .tools import register_tools

logger = logging.getLogger(__name__)

INSTRUCTIONS = """\
Make and manage videos with Luma Dream Machine.
- create_generation makes a video from a text prompt, optionally from start/end images. It waits for the video
  (with progress) up to a time limit; if the result's state is not 'completed', call get_generation with wait=true
  to keep waiting. Videos usually take 1-3 minutes.
- Camera moves: write them in the prompt ('slow dolly zoom', 'camera orbit left'; see list_camera_motions) and/or
  pass concept keys from list_concepts.
- extend_generation continues a finished video forward or backward, or bridges two videos.
- download_generation saves the MP4 to the user's output folder; video URLs are not permanent.
- Every create costs the user money: don't create again to retry a call that timed out; call list_generations
  or get_generation first.
"""


class LumaServer(MCPServer[AppContext]):
    """Our errors are written for the model, so they reach it as tool errors; so do argument errors, reworded.

    The SDK shows the model a tool error's text, but hides anything else behind "Error executing tool".
    """

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppContext, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, LumaMCPError):
                raise ToolError(str(cause)) from cause
            # The SDK raises a plain ToolError only for arguments that fail the schema; an
            # UnexpectedToolError caused by a ValidationError is a crash in the tool, not the caller's fault.
            if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
                raise ToolError(describe_invalid_arguments(name, cause)) from cause
            raise


def build_server(
    settings: Settings, *, schedule: PollSchedule = PollSchedule(), limits: CreateLimits = CreateLimits()
) -> MCPServer[AppContext]:
    """The whole server, ready for any transport; `schedule` and `limits` are Luma's pace, as data."""
    bus = InMemorySubscriptionBus()
    updates = ResourceUpdates(bus)
    opened: list[AppContext] = []

    @asynccontextmanager
    async def lifespan(server: MCPServer[AppContext]) -> AsyncIterator[AppContext]:
        """The SDK enters the lifespan once per connection over SSE; opening the parts each time would give every
        connection its own pollers and create queues, and per-account limits would not hold. So an entry while
        they are open shares them, and the entry that opened them closes them (see `held_open`)."""
        if opened:
            yield opened[0]
            return
        downloader = Downloader(settings.output_dir)
        tenants: Tenants | None = None
        try:
            async with anyio.create_task_group() as task_group:
                tenants = Tenants(
                    settings, task_group, schedule=schedule, limits=limits, on_change=updates.generation_changed
                )
                app = AppContext(settings, tenants, downloader, updates)
                opened.append(app)
                logger.info("Opened the Luma connections; videos go to %s", settings.output_dir)
                try:
                    yield app
                finally:
                    opened.remove(app)
                    task_group.cancel_scope.cancel()  # the pollers
        finally:
            # Outside the cancelled task group, and shielded, so the connections really close.
            with anyio.CancelScope(shield=True):
                if tenants is not None:
                    await tenants.aclose()
                await downloader.aclose()
            logger.info("Closed the Luma connections")

    server = LumaServer(
        "luma-mcp",
        title="Luma Dream Machine",
        description="Make, extend, upscale and download AI videos with Luma Dream Machine.",
        instructions=INSTRUCTIONS,
        website_url="https://lumalabs.ai/dream-machine/api",
        version=__version__,
        lifespan=lifespan,
        subscriptions=bus,
        log_level=settings.log_level,
    )
    register_tools(server)
    register_resources(server, current=lambda: opened[-1])
    register_prompts(server)
    updates.install(server, follow=_follow)
    return server


@asynccontextmanager
async def held_open(server: MCPServer[Any]) -> AsyncIterator[None]:
    """Hold the server's lifespan open while the block runs: transports serving inside it share its parts, and
    they close once, when the block ends."""
    lifespan = server.settings.lifespan
    if lifespan is None:
        yield
        return
    async with lifespan(server):
        yield


def _follow(ctx: ServerRequestContext[AppContext], uri: str) -> Callable[[], None] | None:
    """Keep a subscribed generation polled, for the subscriber's own Luma account, so it hears the changes."""
    generation_id = uri.removeprefix(GENERATION_URI_PREFIX)
    try:
        UUID(generation_id)
    except ValueError:
        return None  # the recent list, or not a generation at all: nothing to poll
    tenant = ctx.lifespan_context.tenants.for_headers(getattr(ctx.request, "headers", None))
    # The first poll brings the real state; until then the generation is taken to be queued.
    return tenant.poller.follow(Generation(id=generation_id))

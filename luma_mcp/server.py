"""`build_server`: the MCP server, its long-lived parts, and how they are opened and closed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from typing import Any
from uuid import UUID

import anyio
from mcp import MCPError
from mcp.server import MCPServer, ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from mcp.types import INVALID_PARAMS, CallToolResult, InputRequiredResult, Tool
from pydantic import AnyUrl, ValidationError

from .account import Account
from .accounts import DEFAULT_API, Accounts, Caller
from .admission import CreateLimits
from .completions import register_completions
from .context import AppContext, app_of, for_the_call, headers_of
from .downloads import Downloader
from .errors import InvalidRequestError, LumaMCPError
from .errors.wording import (
    describe_invalid_arguments,
    not_as_luma_writes_it,
    out_of_time,
    outcome_unknown,
    outside_mcp_request,
    reading_out_of_time,
)
from .icons import SERVER_ICON
from .inputs import check_argument_names
from .ledger import opened_ledger
from .player import player_extension
from .poller import PollSchedule
from .prompts import register_prompts
from .resources import register_resources
from .settings import Settings
from .subscriptions import GENERATION_URI_PREFIX, Followable, ResourceUpdates, SubscriberAccounts, generation_uri
from .tasks import Tasks
from .tools import PAID_TOOLS, register_tools
from .tools.confirm import AskTheUser
from .version import __version__

logger = logging.getLogger(__name__)

INSTRUCTIONS = """\
Make and manage videos and images with Luma: ray-3.2 video and uni-1 / uni-1-max images (the Agents API), and
ray-2 / ray-flash-2 video (the Dream Machine API). The model picks the API; the server says which key a model needs
if it has none. list_models shows which models the configured keys allow, what each makes, its options and prices.
- create_generation makes a video from a text prompt, optionally from start/end images or (ray-3.2) keyframes. It
  waits (with progress) up to a time limit; if the result's state is not 'completed', call get_generation with
  wait=true to keep waiting. Videos usually take 1-3 minutes, images under a minute.
- generate_image, edit_image and split_image_layers make, edit and layer images; edit_video and reframe_video
  restyle a video or outpaint it to a new aspect ratio (ray-3.2, or ray-2 / ray-flash-2); reframe_image outpaints an
  image with photon-1 / photon-flash-1.
- An image or video argument is an https URL, the id of a finished generation, or (Agents API models) a local file
  path inside the folders the user allowed.
- Camera moves: write them in the prompt ('slow dolly zoom', 'camera orbit left'; see list_camera_motions) and, on
  ray-2, pass concept keys from list_concepts.
- extend_generation continues a finished video forward or backward (ray-2 also bridges two videos);
  upscale_generation and add_audio (Dream Machine videos) make an upscaled copy or one with a soundtrack.
- download_generation saves the result to the user's output folder; URLs are not permanent (Agents API URLs last
  an hour: results say until when).
- Every create costs the user money (results carry estimated_cost_usd): don't create again to retry a call that
  timed out; call list_generations or get_generation first.
"""


class LumaServer(MCPServer[AppContext]):
    """Every tool call and resource read acts for the caller's own Luma account, held open for the whole call.

    Our errors are written for the model, so they reach it as tool errors; so do argument errors, reworded, and
    argument names the tool does not have (which would otherwise be ignored, and a video made without them). The
    SDK shows the model a tool error's text, but hides anything else behind "Error executing tool".
    """

    async def list_tools(self) -> list[Tool]:
        return [
            tool.model_copy(update={"input_schema": {**tool.input_schema, "additionalProperties": False}})
            for tool in await super().list_tools()
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppContext, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            await self._refuse_unknown_arguments(name, arguments)
            async with self._for_the_call(context) as cut_off:
                result = await super().call_tool(name, arguments, context)
            if cut_off.cancelled_caught:
                raise ToolError(outcome_unknown(name) if name in PAID_TOOLS else out_of_time(name))
            return result
        except LumaMCPError as exc:
            raise ToolError(str(exc)) from exc
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, AskTheUser):
                return cause.result
            if isinstance(cause, LumaMCPError):
                raise ToolError(str(cause)) from cause
            # The SDK raises a plain ToolError only for arguments that fail the schema; an
            # UnexpectedToolError caused by a ValidationError is a crash in the tool, not the caller's fault.
            if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
                raise ToolError(describe_invalid_arguments(name, cause)) from cause
            if name in PAID_TOOLS:
                raise ToolError(outcome_unknown(name)) from exc
            raise

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[AppContext, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        try:
            async with self._for_the_call(context) as cut_off:
                contents = await super().read_resource(uri, context)
            if cut_off.cancelled_caught:
                raise ResourceError(reading_out_of_time(str(uri)))
            return contents
        except InvalidRequestError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from exc

    @asynccontextmanager
    async def _for_the_call(self, context: Context[AppContext, Any] | None) -> AsyncIterator[anyio.CancelScope]:
        """See `for_the_call`."""
        if context is None:
            raise outside_mcp_request()
        async with for_the_call(app_of(context), context.headers) as cut_off:
            yield cut_off

    async def _refuse_unknown_arguments(self, name: str, arguments: dict[str, Any]) -> None:
        if self._argument_names is None:
            self._argument_names = {
                tool.name: tuple(tool.input_schema.get("properties", {})) for tool in await super().list_tools()
            }
        known = self._argument_names.get(name)
        if known is not None:
            check_argument_names(name, arguments, known)

    _argument_names: dict[str, tuple[str, ...]] | None = None
    app: AppContext | None = None
    """The long-lived parts while the lifespan holds them open (None before and after): what every connection
    shares, and where a test sees what the server is doing (which generations it polls, say)."""


def build_server(
    settings: Settings, *, schedule: PollSchedule = PollSchedule(), limits: CreateLimits | None = None
) -> LumaServer:
    """The whole server, ready for any transport; `schedule` and `limits` are Luma's pace, as data (`limits` from
    the settings unless given)."""
    limits = limits or CreateLimits(per_window=settings.creates_per_minute, max_in_flight=settings.max_in_flight)
    if settings.first_look == "early":
        schedule = replace(schedule, typical_seconds=())
    updates = ResourceUpdates()
    tasks = Tasks(schedule)

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppContext]) -> AsyncIterator[AppContext]:
        """The SDK enters the lifespan once per connection over SSE; opening the parts each time would give every
        connection its own pollers and create queues, and per-account limits would not hold. So an entry while
        they are open shares them, and the entry that opened them closes them (see `held_open`)."""
        if server.app is not None:
            yield server.app
            return
        accounts: Accounts | None = None
        try:
            async with (
                opened_ledger(settings.state_dir) as ledger,
                Downloader(settings.output_dir, timing=settings.timing) as downloader,
                anyio.create_task_group() as task_group,
            ):
                accounts = Accounts(
                    settings, task_group, schedule=schedule, limits=limits, on_change=updates.changed, ledger=ledger
                )
                updates.start(task_group)
                for account in accounts.caller_for(None).accounts.values():
                    task_group.start_soon(account.resume, name=f"resume {account.api}")
                app = server.app = AppContext(settings, accounts, downloader, updates)
                logger.info("Opened the Luma connections; videos go to %s", settings.output_dir)
                try:
                    yield app
                finally:
                    server.app = None
                    task_group.cancel_scope.cancel()  # the pollers and the update senders
        finally:
            # Outside the cancelled task group, and shielded, so the connections really close.
            with anyio.CancelScope(shield=True):
                if accounts is not None:
                    await accounts.aclose()
            logger.info("Closed the Luma connections")

    server = LumaServer(
        "luma-mcp",
        title="Luma Dream Machine",
        description="Make, extend, upscale and download AI videos with Luma Dream Machine.",
        instructions=INSTRUCTIONS,
        website_url="https://lumalabs.ai/dream-machine/api",
        icons=[SERVER_ICON],
        version=__version__,
        lifespan=lifespan,
        log_level=settings.log_level,
        extensions=[player_extension(settings), tasks],
    )
    register_tools(server)
    register_resources(server)
    register_prompts(server)
    register_completions(server)
    updates.install(server, resolve=_subscriber_accounts, tasks=tasks.notices())
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


def _subscriber_accounts(ctx: ServerRequestContext[AppContext]) -> SubscriberAccounts:
    """The accounts a subscription request acts for; each generation it subscribes to is polled on the one that made
    it (see `Caller.account_that_made`). A request with no key at all is refused with the key to get."""
    caller = app_of(ctx).accounts.caller_for(headers_of(ctx))
    if not caller.accounts:
        caller.account_for(DEFAULT_API)
    return SubscriberAccounts(frozenset(account.name for account in caller.accounts.values()), partial(_locate, caller))


async def _locate(caller: Caller, uri: str) -> Followable | None:
    """Notifications name a generation as Luma writes its id (lower case, no braces), so a subscription that
    spells it another way would never hear of it: it is refused, with the spelling that works."""
    generation_id = uri.removeprefix(GENERATION_URI_PREFIX)
    try:
        canonical = str(UUID(generation_id))
    except ValueError:
        return None  # the recent list, or not a generation at all: nothing to poll
    if generation_id != canonical:
        raise not_as_luma_writes_it(uri, generation_uri(canonical))
    account = await caller.likely_maker(generation_id)
    if len(caller.accounts) > 1 and caller.learned(generation_id) is None:
        # Only a guess (made elsewhere: another process, another tool on the key). Followed on every account, the
        # one that made it keeps following it, and the others' "not found" ends theirs; nothing is asked of Luma
        # before the request is answered.
        return Followable(account.name, partial(_follow_on_each, list(caller.accounts.values()), generation_id))
    return Followable(account.name, partial(account.follow, generation_id))


def _follow_on_each(accounts: list[Account], generation_id: str) -> Callable[[], None]:
    stops = [account.follow(generation_id) for account in accounts]

    def stop() -> None:
        for each in stops:
            each()

    return stop

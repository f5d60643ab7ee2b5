"""`Tasks`: the 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`). A paid tool called by a client that
declares it answers with a task as soon as Luma has accepted the create (queueing for a slot and asking the user to
confirm the cost happen before, as ever), and the client follows it with `tasks/get`, or hears it change as
`notifications/tasks` on a `subscriptions/listen` stream that names it, instead of holding a call open for minutes.

A task is a generation: its id is the generation's id and its state is what Luma says of it now, so there is no
task store. Any process holding the account's key can answer for it, and a key answers only for its own
generations: another key's id is "not found", as Luma says to that key. The process that made the task keeps the
generation polled until it finishes, so `tasks/get` and listeners are answered from the poller's latest look rather
than a request to Luma each. Luma cannot stop a generation once it has started: `tasks/cancel` is acknowledged and
stops that polling, and a running task's status message says so. A 2025-era client, or one that does not declare
the extension, gets the results it always did.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from mcp import MCPError
from mcp.server import ServerRequestContext
from mcp.server.context import CallNext, HandlerResult
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.server import require_client_extension
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, CallToolRequestParams, CallToolResult, RequestParams, TextContent
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .account import Account
from .accounts import current_caller
from .context import AppContext, app_of, for_the_call, headers_of
from .errors import ConfigurationError, GenerationFailedError, InvalidRequestError, LumaMCPError, NotFoundError
from .errors.wording import no_such_task, task_look_failed, task_look_out_of_time
from .models import Generation, is_generation_id
from .poller import PollSchedule
from .subscriptions import TaskNotices
from .tools.call import ToolCall, handed_over_once_created

logger = logging.getLogger(__name__)

TASKS = "io.modelcontextprotocol/tasks"
CANNOT_STOP = (
    "Luma cannot stop a generation once it has started: tasks/cancel only stops this server watching it, and it "
    "is still charged."
)


class TaskParams(RequestParams):
    """`tasks/get`, `tasks/cancel`: the task named."""

    task_id: str


class TaskUpdateParams(TaskParams):
    """`tasks/update`: our tasks never ask for input, so whatever responses come are ignored, as the spec allows."""

    input_responses: dict[str, Any] | None = None


def declares_tasks(ctx: ServerRequestContext[Any]) -> bool:
    """Whether this request's client declared the extension (a 2026-era request's own capabilities)."""
    if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return False
    capabilities = ctx.session.client_capabilities
    return capabilities is not None and TASKS in (capabilities.extensions or {})


class Tasks(Extension):
    identifier = TASKS

    def __init__(self, schedule: PollSchedule) -> None:
        self._poll_interval_ms = round(schedule.interval(0) * 1000)
        """The pace this server looks at Luma itself: a client polling faster would learn nothing sooner."""
        self._followed: dict[tuple[str, str], Callable[[], None]] = {}
        """The tasks this process polls until they end (so, at most the generations in flight), by account and
        id: what `tasks/cancel` stops."""

    def methods(self) -> Sequence[MethodBinding]:
        modern = frozenset(MODERN_PROTOCOL_VERSIONS)
        return (
            MethodBinding("tasks/get", TaskParams, self._get, protocol_versions=modern),
            MethodBinding("tasks/update", TaskUpdateParams, self._update, protocol_versions=modern),
            MethodBinding("tasks/cancel", TaskParams, self._cancel, protocol_versions=modern),
        )

    def notices(self) -> TaskNotices:
        """What a listen stream that names tasks needs of them (see `ResourceUpdates.install`)."""
        return TaskNotices(accept=self._accept_listen, notice=self._notice)

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """A paid tool hands over the generation Luma accepted instead of waiting for it; that becomes the task.
        Anything else (a tool that starts nothing, an error, a cost the user declined, a question for the user)
        is answered as always."""
        if not declares_tasks(ctx):
            return await call_next(ctx)
        with handed_over_once_created(self._follow) as handoff:
            result = await call_next(ctx)
        generation = handoff.generation
        if generation is None or not isinstance(result, CallToolResult) or result.is_error:
            return result
        return {"resultType": "task", **self._task(generation, note=handoff.note)}

    async def _get(self, ctx: ServerRequestContext[AppContext], params: TaskParams) -> dict[str, Any]:
        require_client_extension(ctx, TASKS)
        return await self._detailed(ctx, params.task_id)

    async def _update(self, ctx: ServerRequestContext[AppContext], params: TaskUpdateParams) -> dict[str, Any]:
        require_client_extension(ctx, TASKS)

        async def acknowledged(account: Account, generation: Generation) -> dict[str, Any]:
            return {}

        return await self._on_task(ctx, params.task_id, acknowledged)

    async def _cancel(self, ctx: ServerRequestContext[AppContext], params: TaskParams) -> dict[str, Any]:
        """Acknowledged, as the spec asks; the generation goes on at Luma (see `CANNOT_STOP`), unwatched here."""
        require_client_extension(ctx, TASKS)

        async def unwatched(account: Account, generation: Generation) -> dict[str, Any]:
            stop = self._followed.pop((account.name, generation.id), None)
            if stop is not None:
                stop()
            return {}

        return await self._on_task(ctx, params.task_id, unwatched)

    def _accept_listen(self, ctx: ServerRequestContext[Any], task_ids: list[str]) -> None:
        require_client_extension(ctx, TASKS)
        for task_id in task_ids:
            if not is_generation_id(task_id):
                raise MCPError(INVALID_PARAMS, no_such_task(task_id))

    async def _notice(self, ctx: ServerRequestContext[Any], task_id: str) -> dict[str, Any] | None:
        try:
            return await self._detailed(ctx, task_id)
        except MCPError as exc:
            logger.info("Could not tell a listener of task %s: %s", task_id, exc.error.message)
            return None

    async def _detailed(self, ctx: ServerRequestContext[AppContext], task_id: str) -> dict[str, Any]:
        """The task now (a `DetailedTask`): a finished one carries the tool result, as `get_generation` makes it
        (one Luma failed, as the tool error that tool would give)."""

        async def described(account: Account, generation: Generation) -> dict[str, Any]:
            task = self._task(generation)
            if generation.is_terminal:
                try:
                    result = await ToolCall(Context(request_context=ctx), account).finish(generation, wait=False)
                except GenerationFailedError as failed:
                    result = CallToolResult(content=[TextContent(type="text", text=str(failed))], is_error=True)
                task["result"] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
            return task

        return await self._on_task(ctx, task_id, described)

    async def _on_task(
        self,
        ctx: ServerRequestContext[AppContext],
        task_id: str,
        then: Callable[[Account, Generation], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        """`then` of the task's generation as Luma (or, while it is polled here, the poller's latest look) tells it,
        on the caller's own accounts, within a call's lease and time limit, as a tool call runs; refused as no task
        of the caller's when none of its accounts has it."""
        if not is_generation_id(task_id):
            raise MCPError(INVALID_PARAMS, no_such_task(task_id))
        try:
            async with for_the_call(app_of(ctx), headers_of(ctx)) as cut_off:
                account, generation = await current_caller().find(task_id, about_to_wait=True)
                answer = await then(account, generation)
        except NotFoundError:
            raise MCPError(INVALID_PARAMS, no_such_task(task_id)) from None
        except (InvalidRequestError, ConfigurationError) as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None
        except LumaMCPError as exc:
            raise MCPError(INTERNAL_ERROR, task_look_failed(task_id, exc)) from None
        if cut_off.cancelled_caught:
            raise MCPError(INTERNAL_ERROR, task_look_out_of_time(task_id))
        return answer

    def _task(self, generation: Generation, note: str | None = None) -> dict[str, Any]:
        """The task's state as the spec writes it. Luma keeps a generation until it is deleted, so a task has no
        time to live (`ttlMs` null); its last update is this look."""
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        if generation.state == "completed":
            status, message = "completed", "Luma finished it."
        elif generation.state == "failed":
            status, message = "completed", f"Luma could not make it: {generation.failure_reason or 'no reason given'}"
        else:
            takes = "images usually take 15-60 seconds" if generation.makes_image else "videos usually take 1-3 minutes"
            status, message = "working", f"Luma is {generation.state} ({takes}). {CANNOT_STOP}"
        return {
            "taskId": generation.id,
            "status": status,
            "statusMessage": f"{message} {note}" if note else message,
            "createdAt": generation.created_at or now,
            "lastUpdatedAt": now,
            "ttlMs": None,
            "pollIntervalMs": self._poll_interval_ms,
        }

    def _follow(self, account: Account, generation: Generation) -> None:
        """Keep a task polled here until it ends, from the moment Luma took its create (see `Handoff.created`)."""
        key = (account.name, generation.id)
        stop = account.follow(generation, on_end=lambda: self._ended(key, stop))
        self._followed[key] = stop

    def _ended(self, key: tuple[str, str], stop: Callable[[], None]) -> None:
        """A task's follow ended (it finished, or was cancelled): forgotten, unless a newer follow of it holds."""
        if self._followed.get(key) is stop:
            del self._followed[key]

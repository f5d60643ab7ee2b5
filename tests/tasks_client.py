"""The client side of the 2026-07-28 tasks extension, as a host would build it on the SDK's `ClientExtension`: a
`ResultClaim` for `resultType: "task"` that follows the task with `tasks/get` until it ends, and the task's
notifications heard on a listen stream. The SDK has the hooks but no tasks of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
from mcp import Client
from mcp.client import ClaimContext, ClientExtension, ResultClaim
from mcp.client.extension import NotificationBinding
from mcp.types import (
    CallToolResult,
    NotificationParams,
    Request,
    RequestParams,
    Result,
    SubscriptionFilter,
    SubscriptionsListenRequest,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
)

TASKS = "io.modelcontextprotocol/tasks"
TERMINAL = ("completed", "failed", "cancelled")


class TaskFields(Result):
    task_id: str
    status: str
    status_message: str | None = None
    created_at: str
    last_updated_at: str
    ttl_ms: int | None
    poll_interval_ms: int | None = None


class CreatedTask(TaskFields):
    result_type: Literal["task"] = "task"


class DetailedTask(TaskFields):
    result_type: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class TaskNotice(NotificationParams):
    task_id: str
    status: str
    status_message: str | None = None
    ttl_ms: int | None
    result: dict[str, Any] | None = None


class TaskParams(RequestParams):
    task_id: str


class GetTask(Request[TaskParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    params: TaskParams
    name_param = "taskId"


class CancelTask(Request[TaskParams, Literal["tasks/cancel"]]):
    method: Literal["tasks/cancel"] = "tasks/cancel"
    params: TaskParams
    name_param = "taskId"


class TasksClient(ClientExtension):
    """Declares the extension on every request; a task a tool call answers with is followed to its end."""

    identifier = TASKS

    def __init__(self) -> None:
        self.created: list[CreatedTask] = []
        self.polled: list[DetailedTask] = []
        self.heard: list[TaskNotice] = []

    def claims(self) -> Sequence[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=self._follow)]

    def notifications(self) -> Sequence[NotificationBinding[Any]]:
        return [NotificationBinding(method="notifications/tasks", params_type=TaskNotice, handler=self._heard)]

    async def _follow(self, created: CreatedTask, ctx: ClaimContext) -> CallToolResult:
        self.created.append(created)
        while True:
            task = await ctx.session.send_request(GetTask(params=TaskParams(task_id=created.task_id)), DetailedTask)
            self.polled.append(task)
            if task.status in TERMINAL:
                assert task.result is not None, task
                return CallToolResult.model_validate(task.result)
            await anyio.sleep((task.poll_interval_ms or 1000) / 1000)

    async def _heard(self, notice: TaskNotice) -> None:
        self.heard.append(notice)

    async def heard_until(self, status: str, timeout: float = 10.0) -> TaskNotice:
        with anyio.fail_after(timeout):
            while not any(notice.status == status for notice in self.heard):
                await anyio.sleep(0.01)
        return next(notice for notice in self.heard if notice.status == status)


async def get_task(client: Client, task_id: str) -> DetailedTask:
    return await client.session.send_request(GetTask(params=TaskParams(task_id=task_id)), DetailedTask)


async def cancel_task(client: Client, task_id: str) -> Result:
    return await client.session.send_request(CancelTask(params=TaskParams(task_id=task_id)), Result)


@asynccontextmanager
async def listening_to_tasks(
    client: Client, task_ids: list[str], resource_subscriptions: list[str] | None = None
) -> AsyncIterator[None]:
    """A listen stream naming `task_ids`, open while the block runs (the SDK's `Client.listen` names no tasks);
    its task notifications reach the client's `TasksClient`, the rest its message handler."""
    wanted = SubscriptionFilter.model_validate({"taskIds": task_ids, "resourceSubscriptions": resource_subscriptions})
    request = SubscriptionsListenRequest(params=SubscriptionsListenRequestParams(notifications=wanted))
    async with anyio.create_task_group() as group:
        group.start_soon(client.session.send_request, request, SubscriptionsListenResult, 600.0)
        try:
            yield
        finally:
            group.cancel_scope.cancel()

"""The 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`), through the SDK's own `Client` with a
`ResultClaim` for tasks (tests/tasks_client.py): a paid tool hands a declaring client a task as soon as Luma took the
create, `tasks/get` finishes it with the result `get_generation` gives, `tasks/cancel` stops the polling and says
Luma cannot stop the generation, listeners hear `notifications/tasks`; everyone else sees what they always saw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError, StdioServerParameters, stdio_client
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    CallToolResult,
    ResourceUpdatedNotification,
    SubscriptionFilter,
    SubscriptionsAcknowledgedNotification,
    SubscriptionsListenRequest,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
)

from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator, EmulatorConfig, Fault, run_emulator
from tests.helpers import connect, connected, eventually, settings_for, text_of, watched
from tests.tasks_client import TASKS, CreatedTask, DetailedTask, TasksClient, cancel_task, get_task, listening_to_tasks
from tests.test_accounts import client_with
from tests.test_end_to_end import SERVER, http_server, server_env
from tests.test_ray3_tools import agents_settings
from tests.test_spending import Answers, creates, guarded

pytestmark = pytest.mark.anyio

VIDEO = {"prompt": "a paper boat on a rainy street"}


async def finished(client: Any, task_id: str) -> DetailedTask:
    """`tasks/get` until the task ends, at the pace the server asks for."""
    with anyio.fail_after(10):
        while (task := await get_task(client, task_id)).status == "working":
            await anyio.sleep((task.poll_interval_ms or 1000) / 1000)
    return task


async def test_a_declaring_client_gets_a_task_once_luma_took_the_create_and_tasks_get_ends_with_get_generations_result(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The video would take two minutes: the call answers at once, with the generation's id as the task's, while it
    is still queued at Luma; once it is done, `tasks/get` carries exactly what `get_generation` says of it."""
    emulator.plan_next(queued_seconds=60, dreaming_seconds=60)
    tasks = TasksClient()
    async with connected(settings_for(emulator, tmp_path), extensions=[tasks]) as (client, server):
        with anyio.fail_after(5):
            created = await client.session.call_tool("create_generation", VIDEO, allow_claimed=True)
        assert isinstance(created, CreatedTask), created
        at_luma = emulator.generation(created.task_id)
        working = await get_task(client, created.task_id)
        followed = created.task_id in watched(server)
        emulator.finish_now(created.task_id)
        done = await finished(client, created.task_id)
        looked_up = await client.call_tool("get_generation", {"generation_id": created.task_id})
    assert at_luma is not None and at_luma["state"] == "queued"
    assert (created.status, created.ttl_ms, created.poll_interval_ms) == ("working", None, 50)
    assert working.status == "working" and working.result is None
    assert "Luma cannot stop a generation once it has started" in (working.status_message or "")
    assert followed, "the process that made the task keeps it polled"
    assert done.status == "completed" and done.result is not None
    result = CallToolResult.model_validate(done.result)
    assert result.structured_content == looked_up.structured_content
    assert text_of(result) == text_of(looked_up)
    assert result.structured_content is not None and result.structured_content["state"] == "completed"


async def test_the_sdk_client_follows_an_agents_api_task_to_its_image_transparently(
    emulator: Emulator, tmp_path: Path
) -> None:
    """With the claim in the client, `call_tool` returns the finished image as if the call had waited; in between,
    the server answered with a task and the claim polled it (the Agents API, one GET a look)."""
    tasks = TasksClient()
    async with connect(agents_settings(emulator, tmp_path), extensions=[tasks]) as client:
        with anyio.fail_after(10):
            made = await client.call_tool("generate_image", {"prompt": "a lighthouse at dusk"})
    assert not made.is_error, text_of(made)
    content = made.structured_content or {}
    assert (content["api"], content["state"]) == ("agents", "completed") and content["image_url"]
    [created] = tasks.created
    assert created.task_id == content["id"]
    assert "images usually take 15-60 seconds" in (created.status_message or "")
    assert tasks.polled[-1].status == "completed"


async def test_a_generation_luma_fails_ends_its_task_completed_with_get_generations_tool_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The spec keeps `failed` for protocol errors: a tool error is a completed task whose result has isError."""
    emulator.plan_next(failure_reason="the prompt was refused by moderation")
    tasks = TasksClient()
    async with connect(settings_for(emulator, tmp_path), extensions=[tasks]) as client:
        with anyio.fail_after(10):
            made = await client.call_tool("create_generation", VIDEO)
        looked_up = await client.call_tool("get_generation", {"generation_id": tasks.created[0].task_id})
    assert made.is_error and looked_up.is_error
    assert text_of(made) == text_of(looked_up)
    assert "the prompt was refused by moderation" in text_of(made)
    final = tasks.polled[-1]
    assert final.status == "completed" and "could not make it" in (final.status_message or "")


async def test_cancelling_a_task_is_acknowledged_stops_the_polling_and_says_luma_goes_on(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.plan_next(queued_seconds=60, dreaming_seconds=60)
    tasks = TasksClient()
    async with connected(settings_for(emulator, tmp_path), extensions=[tasks]) as (client, server):
        created = await client.session.call_tool("create_generation", VIDEO, allow_claimed=True)
        assert isinstance(created, CreatedTask), created
        task_id = created.task_id
        assert task_id in watched(server)
        acknowledged = await cancel_task(client, task_id)
        await eventually(lambda: task_id not in watched(server), timeout=5)
        after = await get_task(client, task_id)
        with pytest.raises(MCPError) as unknown:
            await cancel_task(client, "00000000-0000-4000-8000-000000000000")
    assert acknowledged.model_dump(exclude_none=True, by_alias=True).keys() <= {"_meta", "resultType"}
    assert after.status == "working"
    assert "tasks/cancel only stops this server watching it, and it is still charged" in (after.status_message or "")
    at_luma = emulator.generation(task_id)
    assert at_luma is not None and at_luma["state"] == "queued", "Luma's generation goes on"
    assert unknown.value.error.code == INVALID_PARAMS


async def test_a_listen_stream_naming_a_task_hears_it_finish_with_its_result(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The acknowledgement lists the task ids agreed to, and the task's notification is its whole state, the
    finished tool result inlined, as `tasks/get` would answer; a resource the same stream subscribes to is heard of
    as ever."""
    emulator.plan_next(queued_seconds=60, dreaming_seconds=60)
    tasks = TasksClient()
    acknowledged: list[SubscriptionFilter] = []
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, SubscriptionsAcknowledgedNotification):
            acknowledged.append(message.params.notifications)
        if isinstance(message, ResourceUpdatedNotification):
            updated.append(message.params.uri)

    settings = settings_for(emulator, tmp_path)
    async with connect(settings, extensions=[tasks], message_handler=on_message) as client:
        created = await client.session.call_tool("create_generation", VIDEO, allow_claimed=True)
        assert isinstance(created, CreatedTask), created
        async with listening_to_tasks(client, [created.task_id], resource_subscriptions=["luma://generations"]):
            await eventually(lambda: bool(acknowledged))
            emulator.finish_now(created.task_id)
            heard = await tasks.heard_until("completed")
            await eventually(lambda: "luma://generations" in updated)
    assert (acknowledged[0].model_extra or {}).get("taskIds") == [created.task_id]
    assert acknowledged[0].resource_subscriptions == ["luma://generations"]
    assert heard.task_id == created.task_id and heard.ttl_ms is None
    assert heard.result is not None
    assert heard.result["structuredContent"]["state"] == "completed"
    assert heard.result["structuredContent"]["video_url"]


async def test_a_listen_naming_tasks_from_a_client_without_the_extension_is_refused(
    emulator: Emulator, tmp_path: Path
) -> None:
    request = SubscriptionsListenRequest(
        params=SubscriptionsListenRequestParams(
            notifications=SubscriptionFilter.model_validate({"taskIds": ["00000000-0000-4000-8000-000000000000"]})
        )
    )
    async with connect(settings_for(emulator, tmp_path)) as client:
        with pytest.raises(MCPError) as refused:
            await client.session.send_request(request, SubscriptionsListenResult, 5.0)
    assert refused.value.error.code == MISSING_REQUIRED_CLIENT_CAPABILITY


async def test_clients_that_do_not_declare_tasks_keep_todays_results(emulator: Emulator, tmp_path: Path) -> None:
    """A 2025-era client (even one whose code knows tasks: the extension is 2026-era only) and a 2026-era client
    that does not declare it get the finished video from the call itself, and no task methods: the first does not
    know they exist, the second is told the capability it would need, as the extension asks."""
    tasks = TasksClient()
    settings = settings_for(emulator, tmp_path)
    async with connect(settings, mode="legacy", extensions=[tasks]) as legacy, connect(settings) as modern:
        made = [await client.call_tool("create_generation", VIDEO) for client in (legacy, modern)]
        refusals = []
        for client, result in zip((legacy, modern), made, strict=True):
            with pytest.raises(MCPError) as refused:
                await get_task(client, (result.structured_content or {})["id"])
            refusals.append(refused.value.error.code)
        told = [client.server_capabilities.extensions or {} for client in (legacy, modern)]
    assert [(result.structured_content or {})["state"] for result in made] == ["completed", "completed"]
    assert tasks.created == []
    assert refusals == [METHOD_NOT_FOUND, MISSING_REQUIRED_CLIENT_CAPABILITY]
    assert [TASKS in extensions for extensions in told] == [False, True]


OPERATOR, ALICE, BOB = "luma-key-operator", "luma-key-alice", "luma-key-bob"


async def test_over_http_any_server_with_the_key_answers_for_a_task_and_no_other_key_learns_of_it(
    tmp_path: Path,
) -> None:
    """Alice's task, made on one server process, is answered by another that shares no ledger with it (Luma is the
    record), and a listen stream there hears it finish; Bob, on the server that made it, is told there is no such
    task, on `tasks/get` and `tasks/cancel` alike, and his listen stream naming it hears nothing of it."""
    keys = EmulatorConfig(api_keys=(OPERATOR, ALICE, BOB), queued_seconds=0.05, dreaming_seconds=0.3)
    alice_hears, bob_hears = TasksClient(), TasksClient()
    alice_acknowledged: list[SubscriptionFilter] = []
    bob_acknowledged: list[SubscriptionFilter] = []

    async def on_alice_message(message: Any) -> None:
        if isinstance(message, SubscriptionsAcknowledgedNotification):
            alice_acknowledged.append(message.params.notifications)

    async def on_bob_message(message: Any) -> None:
        if isinstance(message, SubscriptionsAcknowledgedNotification):
            bob_acknowledged.append(message.params.notifications)

    async with run_emulator(keys) as emulator:
        emulator.plan_next(queued_seconds=60, dreaming_seconds=60)
        env_a = server_env(emulator, tmp_path / "a", LUMA_API_KEY=OPERATOR)
        env_b = server_env(emulator, tmp_path / "b", LUMA_API_KEY=OPERATOR)
        async with (
            http_server("streamable-http", env_a, tmp_path / "a.log") as made_on,
            http_server("streamable-http", env_b, tmp_path / "b.log") as other,
            client_with(made_on, {"X-Luma-Api-Key": ALICE}, extensions=[TasksClient()]) as alice,
            client_with(
                other, {"X-Luma-Api-Key": ALICE}, extensions=[alice_hears], message_handler=on_alice_message
            ) as alice_elsewhere,
            client_with(
                made_on, {"X-Luma-Api-Key": BOB}, extensions=[bob_hears], message_handler=on_bob_message
            ) as bob,
        ):
            created = await alice.session.call_tool("create_generation", VIDEO, allow_claimed=True)
            assert isinstance(created, CreatedTask), created
            task_id = created.task_id
            elsewhere = await get_task(alice_elsewhere, task_id)
            bob_refused = []
            for ask in (get_task, cancel_task):
                with pytest.raises(MCPError) as refused:
                    await ask(bob, task_id)
                bob_refused.append(refused.value.error)
            async with listening_to_tasks(alice_elsewhere, [task_id]), listening_to_tasks(bob, [task_id]):
                await eventually(lambda: bool(alice_acknowledged and bob_acknowledged))
                emulator.finish_now(task_id)
                heard = await alice_hears.heard_until("completed")
                done = await finished(alice_elsewhere, task_id)
                done_where_made = await finished(alice, task_id)
    assert elsewhere.status == "working"
    assert heard.result is not None and heard.result["structuredContent"]["state"] == "completed"
    assert bob_hears.heard == []
    assert [error.code for error in bob_refused] == [INVALID_PARAMS, INVALID_PARAMS]
    assert all(f"no task {task_id} for this Luma key" in error.message for error in bob_refused)
    assert not any(VIDEO["prompt"] in f"{error.message} {error.data}" for error in bob_refused)
    assert done.result is not None and done_where_made.result is not None
    assert done.result["structuredContent"] == done_where_made.result["structuredContent"]
    assert done.result["structuredContent"]["prompt"] == VIDEO["prompt"]
    assert {request.api_key for request in emulator.requests if task_id in request.path} <= {ALICE, BOB}


async def test_the_user_confirms_a_cost_before_the_task_exists_and_a_declined_create_is_no_task(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Asking the user (the 2026 era's input-required round) comes before the create, so before the task; a create
    the user declines is answered as always, with nothing sent and no task."""
    settings = guarded(emulator, tmp_path, confirm_above_usd=0.5)
    accepting, declining = Answers("accept"), Answers("decline")
    accepted_tasks, declined_tasks = TasksClient(), TasksClient()
    async with (
        connect(settings, elicitation_callback=accepting, extensions=[accepted_tasks]) as accepts,
        connect(settings, elicitation_callback=declining, extensions=[declined_tasks]) as declines,
    ):
        declined = await declines.call_tool("create_generation", VIDEO)
        assert creates(emulator) == 0
        made = await accepts.call_tool("create_generation", VIDEO)
    assert (declined.structured_content or {})["state"] == "declined" and declined_tasks.created == []
    assert (made.structured_content or {})["state"] == "completed", text_of(made)
    assert [len(accepting.asked), len(declining.asked)] == [1, 1]
    [created] = accepted_tasks.created
    assert created.task_id == (made.structured_content or {})["id"]
    assert creates(emulator) == 1


async def test_a_create_waiting_for_an_in_flight_slot_becomes_a_task_only_once_luma_takes_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    """With one generation allowed in flight, a second create waits in the queue (told by progress, nothing sent)
    and is a task once the first ends and Luma has taken the second."""
    emulator.plan_next(queued_seconds=60, dreaming_seconds=60)
    tasks = TasksClient()
    waiting = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message and "queued here" in message:
            waiting.set()

    limits = CreateLimits(per_window=0, max_in_flight=1)
    second: list[object] = []
    async with connect(settings_for(emulator, tmp_path), limits=limits, extensions=[tasks]) as client:
        first = await client.session.call_tool("create_generation", VIDEO, allow_claimed=True)
        assert isinstance(first, CreatedTask), first

        async def create_second() -> None:
            second.append(
                await client.session.call_tool(
                    "create_generation", VIDEO, progress_callback=on_progress, allow_claimed=True
                )
            )

        async with anyio.create_task_group() as group:
            group.start_soon(create_second)
            with anyio.fail_after(5):
                await waiting.wait()
            sent_while_waiting = creates(emulator)
            emulator.finish_now(first.task_id)
    [task] = second
    assert sent_while_waiting == 1
    assert isinstance(task, CreatedTask) and task.task_id != first.task_id
    assert emulator.generation(task.task_id) is not None
    assert creates(emulator) == 2


async def test_tasks_get_answers_within_the_call_limit_when_luma_answers_a_minute_late(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A server that does not poll the task itself asks Luma; Luma answering a minute late, `tasks/get` still ends
    within LUMA_MCP_MAX_WAIT (here 2 s) plus the 2 s every call may overrun, with an error saying to ask again."""
    emulator.plan_next(queued_seconds=60, dreaming_seconds=60)
    settings = settings_for(emulator, tmp_path, max_wait=2.0)
    async with (
        connect(settings, extensions=[TasksClient()]) as maker,
        connect(settings, extensions=[TasksClient()]) as other,
    ):
        created = await maker.session.call_tool("create_generation", VIDEO, allow_claimed=True)
        assert isinstance(created, CreatedTask), created
        emulator.inject(Fault(method="GET", path=f"/generations/{created.task_id}", status=None, delay=60, count=10))
        began = anyio.current_time()
        with anyio.fail_after(10), pytest.raises(MCPError) as late:
            await get_task(other, created.task_id)
        took = anyio.current_time() - began
    assert took < 4.0
    assert late.value.error.code == INTERNAL_ERROR
    assert created.task_id in late.value.error.message


async def test_over_stdio_the_launched_server_hands_a_task_and_the_client_follows_it_to_the_video(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The `luma-mcp` command as desktop clients launch it: the same task, and the same result at its end."""
    tasks = TasksClient()
    params = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=server_env(emulator, tmp_path / "out"))
    with (tmp_path / "stderr.log").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), extensions=[tasks]) as client:
            with anyio.fail_after(20):
                made = await client.call_tool("create_generation", VIDEO)
            looked_up = await client.call_tool("get_generation", {"generation_id": tasks.created[0].task_id})
            era = client.protocol_version
    assert era == "2026-07-28"
    assert (made.structured_content or {})["state"] == "completed", text_of(made)
    assert made.structured_content == looked_up.structured_content
    assert [task.status for task in tasks.polled][-1] == "completed"

"""Generations as MCP resources, and update notifications for both eras of clients."""

from __future__ import annotations

import gc
import json
import warnings
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import MCPError
from mcp.server.connection import Connection
from mcp.types import ResourceUpdatedNotification

from luma_mcp.emulator import Emulator
from luma_mcp.subscriptions import MAX_FOLLOWS_PER_ACCOUNT, MAX_URIS_PER_LISTEN
from tests.helpers import connect, connected, eventually, settings_for, stops_polling, watched

pytestmark = pytest.mark.anyio


async def create(client: Any, wait: bool = True) -> dict[str, Any]:
    result = await client.call_tool("create_generation", {"prompt": "a lighthouse in a storm", "wait": wait})
    assert not result.is_error and result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


async def test_resources_are_listed(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        resources = [resource.uri for resource in (await client.list_resources()).resources]
        templates = [template.uri_template for template in (await client.list_resource_templates()).resource_templates]
    assert resources == ["ui://luma/player.html", "luma://generations"]
    assert templates == ["luma://generations/{generation_id}"]


async def test_a_generation_reads_as_json(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        video = await create(client)
        contents = (await client.read_resource(f"luma://generations/{video['id']}")).contents
        recent = (await client.read_resource("luma://generations")).contents
    document = json.loads(getattr(contents[0], "text", ""))
    assert document["id"] == video["id"] and document["state"] == "completed"
    assert document["assets"]["video"] == video["video_url"]
    assert [item["id"] for item in json.loads(getattr(recent[0], "text", ""))] == [video["id"]]


async def test_a_server_that_stopped_leaves_no_stream_open(emulator: Emulator, tmp_path: Path) -> None:
    """The stream that carries changes to subscribers closes with the server, so the garbage collector finds
    nothing left open to warn about."""

    async def serve_once() -> None:
        async with connect(settings_for(emulator, tmp_path)) as client:
            await client.list_resources()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await serve_once()
        gc.collect()
    assert [str(warning.message) for warning in caught if warning.category is ResourceWarning] == []


@pytest.mark.parametrize("generation_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
async def test_an_unknown_generation_is_resource_not_found(
    emulator: Emulator, tmp_path: Path, generation_id: str
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(f"luma://generations/{generation_id}")
    assert raised.value.error.code == -32602


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
async def test_a_2025_client_subscribes_and_hears_the_generation_finish(emulator: Emulator, tmp_path: Path) -> None:
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            updated.append(message.params.uri)

    async with connect(settings_for(emulator, tmp_path), mode="legacy", message_handler=on_message) as client:
        capabilities = client.server_capabilities
        assert capabilities is not None and capabilities.resources is not None
        assert capabilities.resources.subscribe is True
        video = await create(client, wait=False)
        uri = f"luma://generations/{video['id']}"
        await client.subscribe_resource(uri)
        with anyio.fail_after(5):
            while emulator.generation(video["id"])["state"] != "completed" or not updated:  # type: ignore[index]
                await anyio.sleep(0.05)
        contents = (await client.read_resource(uri)).contents
    assert set(updated) == {uri}
    assert json.loads(getattr(contents[0], "text", ""))["state"] == "completed"


async def test_a_2026_client_that_only_listens_hears_the_generation_finish(emulator: Emulator, tmp_path: Path) -> None:
    """Listening alone keeps the generation polled: no tool call needs to be waiting on it."""
    async with connect(settings_for(emulator, tmp_path)) as client:
        video = await create(client, wait=False)
        uri = f"luma://generations/{video['id']}"
        events: list[Any] = []
        async with client.listen(resource_subscriptions=[uri]) as subscription:
            with anyio.fail_after(5):
                async for event in subscription:
                    events.append(event)
                    if emulator.generation(video["id"])["state"] == "completed":  # type: ignore[index]
                        break
    assert events and all(getattr(event, "uri", None) == uri for event in events)


async def test_polling_for_a_listener_stops_when_it_stops_listening(emulator: Emulator, tmp_path: Path) -> None:
    emulator.plan_next(dreaming_seconds=30)
    async with connected(settings_for(emulator, tmp_path)) as (client, server):
        video = await create(client, wait=False)
        async with client.listen(resource_subscriptions=[f"luma://generations/{video['id']}"]):
            await eventually(lambda: len(emulator.requests_for("GET", f"/generations/{video['id']}")) > 1)
            assert video["id"] in watched(server)
        await stops_polling(server, video["id"])


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
async def test_the_recent_list_announces_creates_and_deletes(emulator: Emulator, tmp_path: Path) -> None:
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            updated.append(message.params.uri)

    async with connect(settings_for(emulator, tmp_path), mode="legacy", message_handler=on_message) as client:
        await client.subscribe_resource("luma://generations")
        video = await create(client, wait=False)
        with anyio.fail_after(5):
            while not updated:
                await anyio.sleep(0.05)
        updated.clear()
        await client.call_tool("delete_generation", {"generation_id": video["id"]})
        with anyio.fail_after(5):
            while not updated:
                await anyio.sleep(0.05)
    assert set(updated) == {"luma://generations"}


@pytest.mark.filterwarnings("ignore:resources/")
async def test_a_2025_subscription_is_polled_until_unsubscribed_or_disconnected(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.plan_next(dreaming_seconds=60)
    emulator.plan_next(dreaming_seconds=60)
    async with connected(settings_for(emulator, tmp_path), mode="legacy") as (client, server):
        first = await create(client, wait=False)
        second = await create(client, wait=False)
        for _ in range(2):  # subscribing twice to one URI holds it once
            await client.subscribe_resource(f"luma://generations/{first['id']}")
        assert watched(server) == {first["id"]}, "subscribed: it is being polled"
        await client.unsubscribe_resource(f"luma://generations/{first['id']}")
        assert watched(server) == frozenset(), "unsubscribed: polling stopped"
        await client.subscribe_resource(f"luma://generations/{second['id']}")
        assert watched(server) == {second["id"]}
    assert server.app is None, "the client left without unsubscribing: the server closed, its pollers with it"


@pytest.mark.filterwarnings("ignore:resources/")
async def test_one_notification_per_change_however_often_a_client_subscribes(
    emulator: Emulator, tmp_path: Path
) -> None:
    updated: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            updated.append(message.params.uri)

    async def heard(uri: str) -> None:
        with anyio.fail_after(5):
            while uri not in updated:
                await anyio.sleep(0.05)

    async with connect(settings_for(emulator, tmp_path), mode="legacy", message_handler=on_message) as client:
        # Both stay queued, as a new subscription takes them to be, until finish_now: one change each, however
        # late finish_now comes after the first poll.
        emulator.plan_next(queued_seconds=60)
        emulator.plan_next(queued_seconds=60)
        video, later = await create(client, wait=False), await create(client, wait=False)
        uri, later_uri = f"luma://generations/{video['id']}", f"luma://generations/{later['id']}"
        for _ in range(3):
            await client.subscribe_resource(uri)
        emulator.finish_now(video["id"])
        await heard(uri)
        # Changes reach subscribers in the order they happen, so whatever else the first one set off has been sent
        # by the time the next change is heard.
        await client.subscribe_resource(later_uri)
        emulator.finish_now(later["id"])
        await heard(later_uri)
    assert updated == [uri, later_uri]


async def test_a_listen_naming_too_many_resources_is_refused_and_polls_nothing(
    emulator: Emulator, tmp_path: Path
) -> None:
    uris = [f"luma://generations/00000000-0000-4000-8000-{number:012d}" for number in range(MAX_URIS_PER_LISTEN + 1)]
    async with connect(settings_for(emulator, tmp_path)) as client:
        with pytest.raises(MCPError, match=f"at most {MAX_URIS_PER_LISTEN}"):
            async with client.listen(resource_subscriptions=uris):
                pass
    assert emulator.requests == []


async def test_an_account_follows_a_bounded_number_of_generations(emulator: Emulator, tmp_path: Path) -> None:
    batches = [
        [f"luma://generations/00000000-0000-4000-{batch:04d}-{number:012d}" for number in range(MAX_URIS_PER_LISTEN)]
        for batch in range(MAX_FOLLOWS_PER_ACCOUNT // MAX_URIS_PER_LISTEN + 1)
    ]
    async with connect(settings_for(emulator, tmp_path)) as client, anyio.create_task_group() as group:
        held = anyio.Event()
        opened: list[int] = []

        async def hold(uris: list[str]) -> None:
            async with client.listen(resource_subscriptions=uris):
                opened.append(len(uris))
                await held.wait()

        for batch in batches[:-1]:
            group.start_soon(hold, batch)
        with anyio.fail_after(5):
            while len(opened) < len(batches) - 1:
                await anyio.sleep(0.01)
        with pytest.raises(MCPError, match="the most allowed"):
            async with client.listen(resource_subscriptions=batches[-1]):
                pass
        held.set()


@pytest.mark.filterwarnings("ignore:resources/")
async def test_toggling_a_subscription_does_not_grow_the_connection(emulator: Emulator, tmp_path: Path) -> None:
    async with connect(settings_for(emulator, tmp_path), mode="legacy") as client:
        for _ in range(50):
            await client.subscribe_resource("luma://generations")
            await client.unsubscribe_resource("luma://generations")
        connections = [item for item in gc.get_objects() if isinstance(item, Connection)]
        cleanups = [len(connection.exit_stack._exit_callbacks) for connection in connections]  # type: ignore[attr-defined]
    assert max(cleanups) <= 2, cleanups


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
@pytest.mark.parametrize("spelling", [str.upper, lambda text: "{" + text + "}"])
async def test_a_generation_spelled_unlike_luma_is_refused_with_the_spelling_that_works(
    emulator: Emulator, tmp_path: Path, spelling: Any
) -> None:
    """Notifications name the id as Luma writes it; a subscription spelled otherwise would never hear a thing."""
    async with connect(settings_for(emulator, tmp_path), mode="legacy") as client:
        video = await create(client, wait=False)
        emulator.clear_requests()
        written = f"luma://generations/{spelling(video['id'])}"
        with pytest.raises(MCPError, match=f"subscribe to luma://generations/{video['id']} instead"):
            await client.subscribe_resource(written)
    assert emulator.requests == [], "nothing was polled for it"


async def test_a_listen_naming_a_generation_unlike_luma_is_refused_and_lets_go_of_the_rest(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The follows a listen took before the misspelt URI are released too: nothing is polled afterwards."""
    emulator.plan_next(dreaming_seconds=30)
    async with connected(settings_for(emulator, tmp_path)) as (client, server):
        video = await create(client, wait=False)
        uris = [f"luma://generations/{video['id']}", f"luma://generations/{video['id'].upper()}"]
        with pytest.raises(MCPError, match="the way Luma never writes it"):
            async with client.listen(resource_subscriptions=uris):
                pass
        await stops_polling(server, video["id"])

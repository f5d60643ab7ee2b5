"""How Agents API generations are polled: the first look near their kind's typical time, waits resumed after a
restart, and subscriptions on the account that made them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import ResourceUpdatedNotification

from luma_mcp import build_server
from luma_mcp.accounts import account_of
from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator
from luma_mcp.emulator.agents.config import AgentsConfig
from luma_mcp.ledger import LEDGER_FILE, Ledger
from luma_mcp.poller import PollSchedule
from tests.helpers import connect, connected, eventually, text_of
from tests.test_ray3_tools import PROMPT, agents_settings

pytestmark = pytest.mark.anyio


async def test_an_agents_video_is_first_looked_at_near_its_typical_time_then_once_a_second(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The video finishes 2 s after it is made and its kind's typical time is 3 s: the one look, at 3 s, finds it
    done. Looked at once a second from the start, it would have taken two or three GETs. Progress moves meanwhile,
    once a second, on time alone."""
    emulator.agents.plan_next(queued_seconds=0.2, processing_seconds=1.8)
    schedule = PollSchedule(typical_seconds=(("video", 3.0),))
    gets_when_told: list[int] = []

    def gets() -> int:
        return len(emulator.requests_for("GET", "/agents/v1/generations/*"))

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        gets_when_told.append(gets())

    async with Client(build_server(agents_settings(emulator, tmp_path), schedule=schedule)) as client:
        result = await client.call_tool("create_generation", {"prompt": PROMPT}, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    video: dict[str, Any] = result.structured_content or {}
    assert video["state"] == "completed"
    looks = [request.path for request in emulator.requests if request.method == "GET" and "/agents/" in request.path]
    assert looks == [f"/agents/v1/generations/{video['id']}"]
    assert gets_when_told.count(0) >= 2, f"progress before the first look, once a second: {gets_when_told}"


async def test_a_wait_that_ends_before_the_first_look_asks_luma_just_before_it_gives_up(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The typical time (60 s) is past the call's limit (3 s): the call still asks once, 2 s before its end, so
    it hands back what Luma says (here: done) rather than the state its create answered with."""
    emulator.agents.plan_next(queued_seconds=0.1, processing_seconds=0.4)
    settings = agents_settings(emulator, tmp_path, max_wait=3.0)
    async with Client(build_server(settings, schedule=PollSchedule())) as client:
        result = await client.call_tool("create_generation", {"prompt": PROMPT})
    video: dict[str, Any] = result.structured_content or {}
    assert (video["state"], len(emulator.requests_for("GET", "/agents/v1/generations/*"))) == ("completed", 1)


async def test_looking_early_notices_a_fast_generation_within_a_second(emulator: Emulator, tmp_path: Path) -> None:
    """LUMA_MCP_FIRST_LOOK=early (the demo's): no typical wait, so a video done in half a second is seen at once."""
    emulator.agents.plan_next(queued_seconds=0.1, processing_seconds=0.4)
    settings = agents_settings(emulator, tmp_path, max_wait=30.0, first_look="early")
    async with Client(build_server(settings, schedule=PollSchedule())) as client:
        with anyio.fail_after(5):
            result = await client.call_tool("create_generation", {"prompt": PROMPT})
    assert (result.structured_content or {})["state"] == "completed", text_of(result)


async def ledger_state(state_dir: Path, api_key: str, generation_id: str) -> str | None:
    ledger = Ledger.open(state_dir / LEDGER_FILE)
    try:
        entry = await ledger.get(account_of("agents", api_key), generation_id)
    finally:
        ledger.close()
    return None if entry is None else entry.state


async def until_in_ledger(state_dir: Path, api_key: str, generation_id: str, state: str) -> None:
    with anyio.fail_after(10):
        while await ledger_state(state_dir, api_key, generation_id) != state:
            await anyio.sleep(0.02)


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
async def test_a_restarted_server_follows_its_own_keys_unfinished_generations_to_their_end(tmp_path: Path) -> None:
    """The first server stops with two ray-3.2 videos still running: one made with the key the next server is
    configured with, one with another key (as a key sent with a request: never stored, so never opened again). With
    no tool call, the next server follows its own key's video to its end: the ledger row says completed and a
    subscriber hears it. The other video is never asked about."""
    own, other = "luma-api-own-key", "luma-api-someone-else"
    config = EmulatorConfig(agents=AgentsConfig(api_keys=(own, other)), queued_seconds=0.05, dreaming_seconds=0.3)
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            heard.append(message.params.uri)

    async with run_emulator(config) as emulator:
        state_dir = tmp_path / "state"
        made: dict[str, str] = {}
        for key in (own, other):
            emulator.agents.plan_next(queued_seconds=0.05, processing_seconds=600)
            async with connect(agents_settings(emulator, tmp_path, agents_api_key=key)) as client:
                created = await client.call_tool("create_generation", {"prompt": PROMPT, "wait": False})
            made[key] = (created.structured_content or {})["id"]
            assert await ledger_state(state_dir, key, made[key]) == "queued"

        settings = agents_settings(emulator, tmp_path, agents_api_key=own)
        async with connected(settings, mode="legacy", message_handler=on_message) as (client, server):
            assert server.app is not None
            account = server.app.accounts.caller_for(None).account_for("agents")
            await eventually(lambda: made[own] in account.watching)
            await until_in_ledger(state_dir, own, made[own], "processing")
            uri = f"luma://generations/{made[own]}"
            await client.subscribe_resource(uri)
            emulator.agents.finish_now(made[own])
            await until_in_ledger(state_dir, own, made[own], "completed")
            await eventually(lambda: uri in heard)
            assert made[own] not in account.memory.creates.in_flight, "its in-flight slot is free again"
        assert emulator.requests_for("GET", f"/agents/v1/generations/{made[other]}") == []
        assert await ledger_state(state_dir, other, made[other]) == "queued"


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
async def test_with_both_keys_a_subscriber_hears_a_ray3_video_and_a_ray2_video_finish(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Each subscription follows its generation on the account that made it: the ray-3.2 video on the Agents one
    (it used to be polled on the Dream Machine account, which does not know it, and never fired)."""
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            heard.append(message.params.uri)

    emulator.agents.plan_next(processing_seconds=600)
    emulator.plan_next(dreaming_seconds=600)
    settings = agents_settings(emulator, tmp_path, dream_machine=True)
    async with connect(settings, mode="legacy", message_handler=on_message) as client:
        made = {}
        for model in ("ray-3.2", "ray-2"):
            created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": model, "wait": False})
            made[model] = (created.structured_content or {})["id"]
            await client.subscribe_resource(f"luma://generations/{made[model]}")
        emulator.agents.finish_now(made["ray-3.2"])
        emulator.finish_now(made["ray-2"])
        for generation_id in made.values():
            await eventually(lambda: f"luma://generations/{generation_id}" in heard)  # noqa: B023
    assert emulator.requests_for("GET", f"/generations/{made['ray-3.2']}") == [], "never asked of Dream Machine"


async def test_with_both_keys_a_2026_listener_hears_a_ray3_video_finish(emulator: Emulator, tmp_path: Path) -> None:
    """A listen stream of a caller with both keys hears the changes of both its accounts."""
    emulator.agents.plan_next(processing_seconds=600)
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        created = await client.call_tool("create_generation", {"prompt": PROMPT, "model": "ray-3.2", "wait": False})
        generation_id = (created.structured_content or {})["id"]
        uri = f"luma://generations/{generation_id}"
        async with client.listen(resource_subscriptions=[uri]) as stream:
            emulator.agents.finish_now(generation_id)
            with anyio.fail_after(10):
                async for event in stream:
                    assert getattr(event, "uri", None) == uri
                    read = await client.read_resource(uri)
                    if '"completed"' in getattr(read.contents[0], "text", ""):
                        break

"""An adversarial reading of issue 11 (the inline player, results that clients understand, the tasks extension): each
test here is a way the first version went wrong, fixed since."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import ByteReceiveStream, ByteSendStream
from mcp.types import SubscriptionFilter, SubscriptionsAcknowledgedNotification
from playwright.async_api import Page, expect

from luma_mcp.emulator import Emulator, Fault
from tests.helpers import connect, eventually, settings_for
from tests.tasks_client import CreatedTask, TasksClient, get_task, listening_to_tasks
from tests.test_cli import launched
from tests.test_end_to_end import SERVER, server_env
from tests.test_player_browser import LOOKS, PATIENCE_MS, PROMPT, Host, browser, page  # noqa: F401
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

CONTENT_BLOCKS = {
    "2024-11-05": {"text", "image", "resource"},
    "2025-03-26": {"text", "image", "audio", "resource"},
}
"""The content block types a tool result may carry in each older revision's schema (`resource_link` arrived in
2025-06-18)."""


class RawStdio:
    """JSON-RPC lines to and from a launched `luma-mcp`: the official `Client` only offers the newest handshake
    version, so a client of an older revision is spoken for here, message by message."""

    def __init__(self, send: ByteSendStream, receive: ByteReceiveStream) -> None:
        self._send = send
        self._receive = receive
        self._buffer = b""

    async def tell(self, message: dict[str, Any]) -> None:
        await self._send.send((json.dumps(message) + "\n").encode())

    async def answer_to(self, request_id: int) -> dict[str, Any]:
        with anyio.fail_after(30):
            while True:
                while b"\n" not in self._buffer:
                    self._buffer += await self._receive.receive()
                line, self._buffer = self._buffer.split(b"\n", 1)
                message: dict[str, Any] = json.loads(line)
                if message.get("id") == request_id:
                    return message


@pytest.mark.parametrize("version", CONTENT_BLOCKS)
async def test_a_client_of_an_older_revision_gets_only_content_blocks_its_revision_defines(
    emulator: Emulator, tmp_path: Path, version: str
) -> None:
    env = {**os.environ, **server_env(emulator, tmp_path)}
    with (tmp_path / "stderr.log").open("wb") as stderr:
        async with launched(SERVER, env=env, stderr=stderr) as process:
            assert process.stdin is not None and process.stdout is not None
            wire = RawStdio(process.stdin, process.stdout)
            client = {"name": "older-client", "version": "1"}
            await wire.tell(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": client},
                }
            )
            initialized = await wire.answer_to(1)
            await wire.tell({"jsonrpc": "2.0", "method": "notifications/initialized"})
            arguments = {"prompt": "a paper boat on a rainy street", "wait": False}
            await wire.tell(
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "tools/call",
                    "params": {"name": "create_generation", "arguments": arguments},
                }
            )
            made = await wire.answer_to(2)
    assert initialized["result"]["protocolVersion"] == version
    assert made["result"].get("isError") is not True, made
    assert len(emulator.requests_for("POST", "/generations/video")) == 1, "the create was sent, and paid for"
    sent = {block["type"] for block in made["result"]["content"]}
    assert sent <= CONTENT_BLOCKS[version], sent


async def test_a_passing_luma_outage_while_the_player_waits_is_not_a_failed_generation(
    emulator: Emulator,
    tmp_path: Path,
    page: Page,  # noqa: F811
) -> None:
    emulator.plan_next(dreaming_seconds=600)  # still running at Luma throughout
    async with connect(settings_for(emulator, tmp_path / "videos")) as client:
        arguments = {"prompt": PROMPT, "wait": False}
        started = await client.call_tool("create_generation", arguments)
        assert started.structured_content is not None
        generation_id = started.structured_content["id"]
        # One look at it fails after every retry (the first try and three more), then Luma answers again.
        emulator.inject(Fault(method="GET", path=f"/generations/{generation_id}", status=503, count=4))
        host = Host(page, client, tmp_path)
        view = await host.open("create_generation", arguments, started, look=LOOKS[0])
        await expect(view.locator("#state")).not_to_have_text("Waiting", timeout=PATIENCE_MS)
        with anyio.fail_after(PATIENCE_MS / 1000):
            while not host.called("get_generation"):
                await anyio.sleep(0.05)
        [(asked, answer)] = host.called("get_generation")
        assert asked == {"generation_id": generation_id, "wait": True} and answer.get("isError") is True, answer
        at_luma = emulator.generation(generation_id)
        assert at_luma is not None and at_luma["state"] in ("queued", "dreaming")
        await expect(view.locator("#state")).not_to_have_text(re.compile("Failed"), timeout=2_000)
        await expect(view.get_by_role("button", name="Another take")).to_have_count(0)
        assert len(emulator.requests_for("POST", "/generations/video")) == 1


async def test_a_create_whose_answer_was_lost_offers_no_paid_retake_in_the_player(
    emulator: Emulator,
    tmp_path: Path,
    page: Page,  # noqa: F811
) -> None:
    emulator.plan_next(dreaming_seconds=600)
    # Luma takes the create but its answer is lost, and the one look for it (a list page) fails too.
    emulator.inject(Fault(method="POST", path="/generations/video", status=503, after_processing=True))
    emulator.inject(Fault(method="GET", path="/generations", status=503))
    async with connect(settings_for(emulator, tmp_path / "videos")) as client:
        arguments = {"prompt": PROMPT, "wait": False}
        lost = await client.call_tool("create_generation", arguments)
        assert lost.is_error and "charged twice" in " ".join(getattr(block, "text", "") for block in lost.content)
        assert len(emulator.requests_for("POST", "/generations/video")) == 1
        host = Host(page, client, tmp_path)
        view = await host.open("create_generation", arguments, lost, look=LOOKS[0])
        await expect(view.locator("#message")).to_contain_text("charged twice", timeout=PATIENCE_MS)
        await expect(view.get_by_role("button", name="Another take")).to_have_count(0)


async def test_a_listener_in_another_process_with_both_keys_hears_an_agents_task_finish(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.agents.plan_next(queued_seconds=60, processing_seconds=60)
    heard_here = TasksClient()
    acknowledged: list[SubscriptionFilter] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, SubscriptionsAcknowledgedNotification):
            acknowledged.append(message.params.notifications)

    maker_settings = agents_settings(emulator, tmp_path / "maker", dream_machine=True)
    other_settings = agents_settings(emulator, tmp_path / "other", dream_machine=True)
    async with (
        connect(maker_settings, extensions=[TasksClient()]) as maker,
        connect(other_settings, extensions=[heard_here], message_handler=on_message) as other,
    ):
        created = await maker.session.call_tool(
            "create_generation", {"prompt": PROMPT, "model": "ray-3.2"}, allow_claimed=True
        )
        assert isinstance(created, CreatedTask), created
        async with listening_to_tasks(other, [created.task_id]):
            await eventually(lambda: bool(acknowledged))
            emulator.agents.finish_now(created.task_id)
            with anyio.move_on_after(10):
                await heard_here.heard_until("completed", timeout=10)
        looked_up = await get_task(other, created.task_id)
    assert looked_up.status == "completed", "tasks/get in the other process finds the finished task"
    assert [notice.status for notice in heard_here.heard][-1:] == ["completed"]

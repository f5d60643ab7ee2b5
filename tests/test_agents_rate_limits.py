"""The Agents API's two kinds of 429 on a create (luma-agents-api.md §9): per minute, with a `Retry-After` until
the oldest create ages out, and concurrency, with a fixed `Retry-After: 60`. Either is waited out when that fits in
the call's time, and the create is then sent again; otherwise the call ends at once saying that nothing was created
and in how many seconds to try again."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from luma_mcp.emulator import EmulatorConfig, run_emulator
from luma_mcp.emulator.agents.config import AgentsConfig
from luma_mcp.emulator.recording import RecordedRequest
from tests.helpers import connect, eventually, text_of
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

WAITED_OUT: dict[str, dict[str, Any]] = {
    "per minute": {"requests_per_minute": 1, "rate_window_seconds": 3.0},
    "concurrency": {"max_concurrent": 1, "concurrency_retry_after": 1},
}
TOO_LONG: dict[str, dict[str, Any]] = {
    "per minute": {"requests_per_minute": 1},
    "concurrency": {"max_concurrent": 1},
}


async def create(client: Client, prompt: str) -> CallToolResult:
    return await client.call_tool("create_generation", {"prompt": prompt, "model": "ray-3.2", "wait": False})


@pytest.mark.parametrize("shape", WAITED_OUT)
async def test_an_agents_429_that_fits_in_the_call_is_waited_out_and_the_create_sent_again(
    shape: str, tmp_path: Path
) -> None:
    config = EmulatorConfig(queued_seconds=60, agents=AgentsConfig(**WAITED_OUT[shape]))
    async with run_emulator(config) as emulator, connect(agents_settings(emulator, tmp_path, max_wait=20.0)) as client:
        first = await create(client, "the first shot")
        assert not first.is_error, text_of(first)
        answers: list[CallToolResult] = []

        def posts() -> list[RecordedRequest]:
            return emulator.requests_for("POST", "/agents/v1/generations")

        async def second() -> None:
            answers.append(await create(client, "the second shot"))

        async with anyio.create_task_group() as group:
            group.start_soon(second)
            await eventually(lambda: [post.status for post in posts()] == [201, 429])
            # Refused; the first video ends while the call waits, freeing the concurrency slot by the retry.
            emulator.agents.finish_now((first.structured_content or {})["id"])
    [made] = answers
    assert not made.is_error, text_of(made)
    assert [post.status for post in posts()] == [201, 429, 201]
    assert posts()[2].at - posts()[1].at >= 0.9, "sent again only once Luma's Retry-After had passed"


@pytest.mark.parametrize("shape", TOO_LONG)
async def test_an_agents_429_longer_than_the_call_says_nothing_was_created_and_when_to_try_again(
    shape: str, tmp_path: Path
) -> None:
    config = EmulatorConfig(queued_seconds=120, agents=AgentsConfig(**TOO_LONG[shape]))
    async with run_emulator(config) as emulator, connect(agents_settings(emulator, tmp_path)) as client:
        first = await create(client, "the first shot")
        second = await create(client, "the second shot")
    assert not first.is_error, text_of(first)
    assert second.is_error
    said = text_of(second)
    assert "nothing was created" in said.lower(), said
    retry_in = re.search(r"[Tt]ry again in (\d+) s", said)
    assert retry_in is not None, said
    assert 55 <= int(retry_in.group(1)) <= 60, said  # Luma's Retry-After: the fixed 60, or until the minute ends
    assert [post.status for post in emulator.requests_for("POST", "/agents/v1/generations")] == [201, 429]

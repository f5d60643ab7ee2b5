"""Creates wait their turn within Luma's limits, say so in progress messages, and give up cleanly in time."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import EmulatorConfig, run_emulator
from tests.helpers import connect, settings_for, text_of

pytestmark = pytest.mark.anyio


async def test_creates_over_the_per_minute_limit_wait_for_a_slot(tmp_path: Path) -> None:
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with run_emulator(EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.1)) as emulator:
        limits = CreateLimits(per_window=2, window=1.0)
        async with connect(settings_for(emulator, tmp_path), limits=limits) as client:
            async with anyio.create_task_group() as group:
                for number in range(3):
                    group.start_soon(
                        lambda n=number: client.call_tool(
                            "create_generation", {"prompt": f"shot {n}", "wait": False}, progress_callback=on_progress
                        )
                    )
        posts = emulator.requests_for("POST", "/generations/video")
    assert [post.status for post in posts] == [201, 201, 201]
    assert posts[2].at - posts[0].at >= 0.9, "the third create waited for the window to move"
    assert any("creates per 1 s; queued here" in message for message in messages)


async def test_a_create_waits_while_luma_has_no_free_slot(tmp_path: Path) -> None:
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    config = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.6, max_concurrent=1)
    async with run_emulator(config) as emulator:
        limits = CreateLimits(busy_retry=0.1)
        async with connect(settings_for(emulator, tmp_path), limits=limits) as client:
            first = await client.call_tool("create_generation", {"prompt": "the first shot", "wait": False})
            second = await client.call_tool(
                "create_generation", {"prompt": "the second shot"}, progress_callback=on_progress
            )
        statuses = [post.status for post in emulator.requests_for("POST", "/generations/video")]
    assert not first.is_error and not second.is_error, text_of(second)
    assert second.structured_content is not None and second.structured_content["state"] == "completed"
    assert statuses[0] == 201 and statuses[-1] == 201 and 429 in statuses
    assert any("limit of videos in flight; queued here" in message for message in messages)


async def test_a_create_that_cannot_get_a_slot_in_time_sends_nothing(tmp_path: Path) -> None:
    async with run_emulator(EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.1)) as emulator:
        limits = CreateLimits(per_window=1, window=30.0)
        async with connect(settings_for(emulator, tmp_path, max_wait=1.0), limits=limits) as client:
            await client.call_tool("create_generation", {"prompt": "the only shot this window", "wait": False})
            refused = await client.call_tool("create_generation", {"prompt": "one too many", "wait": False})
        posts = emulator.requests_for("POST", "/generations/video")
    assert refused.is_error and "Nothing was created" in text_of(refused)
    assert len(posts) == 1


async def test_queueing_leaves_the_create_time_to_answer_within_the_call(tmp_path: Path) -> None:
    """A slot freeing in the last half of a short call is no use: the create could not answer in time."""
    async with run_emulator(EmulatorConfig(queued_seconds=0.05, dreaming_seconds=0.1)) as emulator:
        limits = CreateLimits(per_window=1, window=1.8)
        async with connect(settings_for(emulator, tmp_path, max_wait=2.0), limits=limits) as client:
            await client.call_tool("create_generation", {"prompt": "the first shot", "wait": False})
            began = anyio.current_time()
            refused = await client.call_tool("create_generation", {"prompt": "the second shot", "wait": False})
            took = anyio.current_time() - began
        posts = emulator.requests_for("POST", "/generations/video")
    assert refused.is_error and "Nothing was created" in text_of(refused)
    assert took < 1.0, "refused at once rather than after waiting for a slot it could not use"
    assert len(posts) == 1

"""Creates wait their turn within Luma's limits, say so in progress messages, and give up cleanly in time."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import anyio
import pytest

from luma_mcp import ConfigurationError, Settings
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
                        partial(
                            client.call_tool,
                            "create_generation",
                            {"prompt": f"shot {number}", "wait": False},
                            progress_callback=on_progress,
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
    assert any("Luma is at a limit (creates a minute or jobs running); queued" in m for m in messages)


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


async def test_the_eleventh_create_waits_for_one_of_ten_in_flight_to_finish(tmp_path: Path) -> None:
    """No 429 to learn from: the eleventh create is sent once the poller sees the first generation end."""
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with run_emulator(EmulatorConfig(queued_seconds=0.0, dreaming_seconds=60.0, max_concurrent=10)) as emulator:
        emulator.plan_next(queued_seconds=0.0, dreaming_seconds=0.5)
        async with connect(settings_for(emulator, tmp_path, max_in_flight=10)) as client:
            for number in range(10):
                await client.call_tool("create_generation", {"prompt": f"shot {number}", "wait": False})
            eleventh = await client.call_tool(
                "create_generation", {"prompt": "shot 10", "wait": False}, progress_callback=on_progress
            )
        sent = [f"{request.method} {request.path}" for request in emulator.requests]
        posts = emulator.requests_for("POST", "/generations/video")
    assert not eleventh.is_error, text_of(eleventh)
    assert [post.status for post in posts] == [201] * 11, "never a 429"
    assert posts[10].at >= posts[0].at + 0.5, "sent only after the first generation had finished"
    create = "POST /generations/video"
    assert sent[:10] == [create] * 10 and sent[-1] == create
    assert set(sent[10:-1]) == {"GET /generations"}, "meanwhile, list requests found out which had finished"
    assert any("10 generations in flight" in message and "queued here" in message for message in messages)


async def test_zero_lifts_both_create_limits(tmp_path: Path) -> None:
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    settings = Settings.from_env({"LUMA_MCP_CREATES_PER_MINUTE": "0", "LUMA_MCP_MAX_IN_FLIGHT": "0"})
    async with run_emulator(EmulatorConfig(queued_seconds=0.0, dreaming_seconds=60.0)) as emulator:
        limits_off = settings_for(
            emulator, tmp_path, creates_per_minute=settings.creates_per_minute, max_in_flight=settings.max_in_flight
        )
        async with connect(limits_off, limits=None) as client:
            async with anyio.create_task_group() as group:
                for number in range(25):
                    group.start_soon(
                        partial(
                            client.call_tool,
                            "create_generation",
                            {"prompt": f"shot {number}", "wait": False},
                            progress_callback=on_progress,
                        )
                    )
        posts = emulator.requests_for("POST", "/generations/video")
    assert [post.status for post in posts] == [201] * 25
    assert not any("queued here" in message for message in messages)


@pytest.mark.parametrize(
    ("environ", "per_minute", "in_flight"),
    [
        ({}, 20, 10),
        ({"LUMA_MCP_CREATES_PER_MINUTE": "60", "LUMA_MCP_MAX_IN_FLIGHT": "40"}, 60, 40),
        ({"LUMA_MCP_CREATES_PER_MINUTE": "0", "LUMA_MCP_MAX_IN_FLIGHT": " 0 "}, 0, 0),
    ],
)
def test_the_create_limits_come_from_the_environment(environ: dict[str, str], per_minute: int, in_flight: int) -> None:
    settings = Settings.from_env(environ)
    assert (settings.creates_per_minute, settings.max_in_flight) == (per_minute, in_flight)


@pytest.mark.parametrize("variable", ["LUMA_MCP_CREATES_PER_MINUTE", "LUMA_MCP_MAX_IN_FLIGHT"])
@pytest.mark.parametrize(("value", "says"), [("ten", "must be a whole number, not 'ten'"), ("-1", "at least 0")])
def test_a_bad_create_limit_is_refused_naming_the_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{variable} .*{says}"):
        Settings.from_env({variable: value})

"""The spending guard and the Dream Machine's new jobs, attacked: each test here was a way past the cap or a job
sent that should not have been, fixed since."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator

from .helpers import connect, connected, settings_for, text_of, watched
from .test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

PROMPT = "a lighthouse at dusk, slow push in"
RAY2 = {"prompt": PROMPT, "model": "ray-2", "resolution": "720p", "duration": "5s"}  # $1.02


def posts(emulator: Emulator) -> int:
    return len([request for request in emulator.requests if request.method == "POST"])


async def test_forgetting_an_agents_generation_does_not_lower_todays_spending(
    emulator: Emulator, tmp_path: Path
) -> None:
    video = {"prompt": PROMPT, "model": "ray-3.2", "duration": "5s", "resolution": "720p"}  # $0.30
    async with connect(agents_settings(emulator, tmp_path, max_spend_usd=0.5)) as client:
        first = await client.call_tool("create_generation", video)
        assert not first.is_error, text_of(first)
        made = first.structured_content or {}
        assert made["estimated_cost_usd"] == 0.3
        forgotten = await client.call_tool("delete_generation", {"generation_id": made["id"], "forget": True})
        assert not forgotten.is_error, text_of(forgotten)
        sent_before = len(emulator.requests_for("POST", "/agents/v1/generations"))
        second = await client.call_tool("create_generation", video)  # $0.30 more: $0.60 today, over $0.50
    assert second.is_error, text_of(second)
    assert len(emulator.requests_for("POST", "/agents/v1/generations")) == sent_before


async def test_a_create_whose_ledger_row_was_not_written_still_counts_against_the_cap(
    emulator: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    async with connect(settings_for(emulator, tmp_path, state_dir=state, max_spend_usd=1.5)) as client:
        # The ledger stops taking new rows (as a full disk would), while it can still be read.
        with sqlite3.connect(state / "ledger.sqlite3") as db:
            db.execute(
                "CREATE TRIGGER no_room BEFORE INSERT ON generations BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        first = await client.call_tool("create_generation", RAY2)
        assert not first.is_error, text_of(first)
        assert posts(emulator) == 1
        second = await client.call_tool("create_generation", RAY2)  # $2.04 today, over $1.50
    assert second.is_error, text_of(second)
    assert posts(emulator) == 1


async def test_modifying_a_long_large_video_of_ours_is_priced_by_its_pixels(emulator: Emulator, tmp_path: Path) -> None:
    state = tmp_path / "state"
    async with connect(settings_for(emulator, tmp_path, state_dir=state, max_spend_usd=8.0)) as client:
        made = await client.call_tool(
            "create_generation", {"prompt": PROMPT, "model": "ray-2", "resolution": "1080p", "duration": "9s"}
        )  # $4.10
        assert not made.is_error, text_of(made)
        video = made.structured_content or {}
        edited = await client.call_tool("edit_video", {"video": video["id"], "prompt": "moonlit 35mm film"})
    # ray-2: $0.01582 a million pixels; 1920 x 1080 x 24 fps x 9 s is about 448 million: about $7.09.
    assert edited.is_error, text_of(edited)
    assert emulator.requests_for("POST", "/generations/video/modify") == []


async def test_two_servers_on_one_ledger_cannot_pass_the_cap_between_them(emulator: Emulator, tmp_path: Path) -> None:
    settings = settings_for(emulator, tmp_path, state_dir=tmp_path / "state", max_spend_usd=1.5)
    results: list[CallToolResult] = []
    async with connect(settings) as desktop, connect(settings) as editor:

        async def create(client: Client) -> None:
            results.append(await client.call_tool("create_generation", RAY2))

        async with anyio.create_task_group() as calls:
            calls.start_soon(create, desktop)
            calls.start_soon(create, editor)
    assert sorted(result.is_error for result in results) == [False, True]
    assert posts(emulator) == 1


async def test_a_photon_reframe_followed_again_after_a_restart_holds_no_ray_slot(tmp_path: Path) -> None:
    slow = EmulatorConfig(queued_seconds=0.05, dreaming_seconds=30.0)
    one_video_at_a_time = CreateLimits(per_window=20, max_in_flight=1)
    async with run_emulator(slow) as emulator:
        settings = settings_for(emulator, tmp_path, state_dir=tmp_path / "state", max_wait=2.0)
        async with connect(settings, limits=one_video_at_a_time) as client:
            framed = await client.call_tool(
                "reframe_image", {"image": "https://example.com/photo.jpg", "aspect_ratio": "1:1", "wait": False}
            )
            assert not framed.is_error, text_of(framed)
        async with connected(settings, limits=one_video_at_a_time) as (client, server):
            with anyio.fail_after(5):  # the restarted server follows the reframe again
                while (framed.structured_content or {})["id"] not in watched(server):
                    await anyio.sleep(0.01)
            video = await client.call_tool("create_generation", {**RAY2, "wait": False})
        assert not video.is_error, text_of(video)
        assert len(emulator.requests_for("POST", "/generations/video")) == 1


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("generate_image", {"model": "photon-1"}),
        ("edit_image", {"model": "photon-1", "image": "https://example.com/photo.jpg"}),
        ("edit_video", {"model": "ray-2", "video": "https://example.com/clip.mp4"}),
    ],
)
async def test_a_prompt_the_dream_machine_refuses_is_refused_before_sending(
    emulator: Emulator, tmp_path: Path, tool: str, arguments: dict[str, str]
) -> None:
    async with connect(settings_for(emulator, tmp_path)) as client:
        result = await client.call_tool(tool, {**arguments, "prompt": "x" * 5001})
    assert result.is_error
    assert posts(emulator) == 0

"""How Agents API generations are polled: the first look near their kind's typical time, waits resumed after a
restart, and subscriptions on the account that made them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from luma_mcp import build_server
from luma_mcp.emulator import Emulator
from luma_mcp.poller import PollSchedule
from tests.helpers import text_of
from tests.test_ray3_tools import PROMPT, agents_settings

pytestmark = pytest.mark.anyio


async def test_an_agents_video_is_first_looked_at_near_its_typical_time_then_once_a_second(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The video finishes 2 s after it is made and its kind's typical time is 2.5 s: the one look, at 2.5 s, finds
    it done. Looked at once a second from the start, it would have taken two or three GETs. Progress moves meanwhile,
    on time alone."""
    emulator.agents.plan_next(queued_seconds=0.2, processing_seconds=1.8)
    schedule = PollSchedule(typical_seconds=(("video", 2.5),))
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
    assert gets_when_told.count(0) >= 3, f"progress before the first look, once a second: {gets_when_told}"

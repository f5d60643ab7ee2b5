"""One server process under many concurrent waits: every call finishes, and Luma's load does not grow with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from luma_mcp.emulator import EmulatorConfig, run_emulator
from tests.helpers import connect, settings_for

pytestmark = pytest.mark.anyio

IN_FLIGHT = 100


async def test_a_hundred_concurrent_waits_share_list_requests(tmp_path: Path) -> None:
    async with run_emulator(EmulatorConfig(queued_seconds=0.2, dreaming_seconds=1.5)) as emulator:
        async with httpx.AsyncClient(
            base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as http:
            ids = [
                (await http.post("/generations", json={"model": "ray-2", "prompt": f"video {n}"})).json()["id"]
                for n in range(IN_FLIGHT)
            ]
        emulator.clear_requests()
        results: list[dict[str, Any]] = []
        async with connect(settings_for(emulator, tmp_path, max_wait=30)) as client:

            async def wait(generation_id: str) -> None:
                result = await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True})
                assert result.structured_content is not None
                results.append(result.structured_content)

            async with anyio.create_task_group() as group:
                for generation_id in ids:
                    group.start_soon(wait, generation_id)
        lookups = emulator.requests_for("GET", "/generations/*")
        lists = [request for request in emulator.requests_for("GET", "/generations") if "limit" in request.query]
    assert len(results) == IN_FLIGHT and {result["state"] for result in results} == {"completed"}
    assert len(lookups) == IN_FLIGHT, "one lookup per call; every poll went into a shared list request"
    assert lists and all(int(request.query["limit"]) <= 100 for request in lists)

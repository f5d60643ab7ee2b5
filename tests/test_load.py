"""One server process under many concurrent waits: every call finishes, and Luma's load does not grow with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from luma_mcp.accounts import Accounts
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import Emulator, EmulatorConfig, Fault, run_emulator
from luma_mcp.models import Generation
from luma_mcp.poller import Poller, PollSchedule
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
    # One lookup per call, and the polls in shared list requests. On a loaded machine the first calls can fall due
    # before the last ones have joined, and look alone once; polling one by one would be hundreds of lookups.
    assert IN_FLIGHT <= len(lookups) <= IN_FLIGHT + 10, len(lookups)
    assert lists and all(int(request.query["limit"]) <= 100 for request in lists)


SLOW_CLOCK = EmulatorConfig(queued_seconds=0.0, dreaming_seconds=600.0)


async def create_directly(emulator: Emulator, count: int) -> list[str]:
    """`count` generations started straight on the emulator, oldest first: in flight, but not ours to count."""
    async with httpx.AsyncClient(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
    ) as http:
        return [
            (await http.post("/generations", json={"model": "ray-2", "prompt": f"video {n}"})).json()["id"]
            for n in range(count)
        ]


def ignore(account: str, generation_id: str) -> None:
    pass


@asynccontextmanager
async def account_poller(emulator: Emulator, tmp_path: Path, interval: float) -> AsyncIterator[Poller]:
    """The poller of the server's own account, polling every `interval` seconds."""
    schedule = PollSchedule(steps=((0.0, interval),))
    async with anyio.create_task_group() as group:
        accounts = Accounts(
            settings_for(emulator, tmp_path), group, schedule=schedule, limits=CreateLimits(), on_change=ignore
        )
        try:
            yield accounts.caller_for(None).account_for("dream-machine")._poller
        finally:
            await accounts.aclose()
            group.cancel_scope.cancel()


async def test_250_due_generations_are_answered_by_three_list_pages_a_tick(tmp_path: Path) -> None:
    async with run_emulator(SLOW_CLOCK) as emulator:
        ids = await create_directly(emulator, 250)
        emulator.clear_requests()
        async with account_poller(emulator, tmp_path, interval=1.0) as poller, AsyncExitStack() as watching:
            watches = [await watching.enter_async_context(poller.watch(Generation(id=i))) for i in ids]
            with anyio.fail_after(5):
                while any(watch.generation.state != "dreaming" for watch in watches):
                    await anyio.sleep(0.01)
        lists = emulator.requests_for("GET", "/generations")
        lookups = emulator.requests_for("GET", "/generations/*")
    assert [(request.query["limit"], request.query["offset"]) for request in lists] == [
        ("100", "0"),
        ("100", "100"),
        ("100", "200"),
    ]
    assert lookups == [], "every generation was on a list page"


async def test_no_request_goes_out_for_generations_nobody_waits_for_any_more(tmp_path: Path) -> None:
    """250 waiters leave while their tick's first list page is on its way: what is left of that tick is never
    sent, while the one generation still watched goes on being polled."""
    async with run_emulator(SLOW_CLOCK) as emulator:
        *left, kept = await create_directly(emulator, 251)  # the one kept is the newest: on the first page
        emulator.clear_requests()
        emulator.inject(Fault(status=None, delay=0.5, method="GET", path="/generations"))
        async with account_poller(emulator, tmp_path, interval=0.3) as poller, poller.watch(Generation(id=kept)):
            async with AsyncExitStack() as watching:
                for generation_id in left:
                    await watching.enter_async_context(poller.watch(Generation(id=generation_id)))
                with anyio.fail_after(5):
                    while not emulator.requests:
                        await anyio.sleep(0.01)
            assert poller.watching == {kept}
            with anyio.fail_after(5):
                while not emulator.requests_for("GET", f"/generations/{kept}"):
                    await anyio.sleep(0.01)
        sent = [(request.path, request.query.get("offset")) for request in emulator.requests]
    assert sent[:2] == [("/generations", "0"), (f"/generations/{kept}", None)], sent[:12]

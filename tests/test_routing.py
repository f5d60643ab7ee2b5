"""With both a Dream Machine and an Agents key, a call that names a generation goes to the API that made it without
reading the ledger each time: many calls at once would queue for it (see bench/ for 1000 waits at once)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, FunctionType
from typing import Any

import httpx
import pytest
from mcp import Client

from luma_mcp.accounts import Routes
from luma_mcp.emulator import Emulator
from luma_mcp.ledger import Ledger
from tests.helpers import connect, profiled, text_of
from tests.test_ray3_tools import agents_settings

pytestmark = pytest.mark.anyio

READS: dict[str, FunctionType] = {"get": Ledger.get, "recent": Ledger.recent}  # type: ignore[dict-item]


@contextmanager
def ledger_reads() -> Iterator[Counter[str]]:
    """How many times each ledger read ran, counted by the interpreter's profile hook (nothing is replaced). A
    coroutine's frame raises a "call" event at its start and at each resume, so frames are counted, not events."""
    names = {function.__code__: name for name, function in READS.items()}
    frames: dict[int, FrameType] = {}  # kept alive, so no id is reused while counting
    reads: Counter[str] = Counter()

    def count(frame: FrameType, event: str, arg: object) -> None:
        name = names.get(frame.f_code)
        if event == "call" and name is not None and id(frame) not in frames:
            frames[id(frame)] = frame
            reads[name] += 1

    with profiled(count):
        yield reads


async def made_elsewhere(emulator: Emulator) -> tuple[str, str]:
    """A Dream Machine and an Agents API generation made with the same keys, but not through this server."""
    async with httpx.AsyncClient() as http:
        dream_machine = await http.post(
            f"{emulator.base_url}/generations",
            json={"model": "ray-2", "prompt": "made elsewhere"},
            headers={"Authorization": f"Bearer {emulator.api_key}"},
        )
        agents = await http.post(
            f"{emulator.agents_base_url}/generations",
            json={"model": "ray-3.2", "type": "video", "prompt": "made elsewhere"},
            headers={"Authorization": f"Bearer {emulator.agents_api_key}"},
        )
    return dream_machine.json()["id"], agents.json()["id"]


async def get(client: Client, generation_id: str) -> dict[str, Any]:
    result = await client.call_tool("get_generation", {"generation_id": generation_id})
    assert not result.is_error, text_of(result)
    return result.structured_content or {}


def gets_of(emulator: Emulator, generation_id: str) -> tuple[int, int]:
    """GETs of one generation: (to the Dream Machine API, to the Agents API)."""
    return (
        len(emulator.requests_for("GET", f"/generations/{generation_id}")),
        len(emulator.requests_for("GET", f"/agents/v1/generations/{generation_id}")),
    )


async def test_with_both_keys_a_call_naming_a_generation_reads_no_ledger_row_to_route_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    dream_machine_elsewhere, agents_elsewhere = await made_elsewhere(emulator)
    async with connect(agents_settings(emulator, tmp_path, dream_machine=True)) as client:
        ray2 = await client.call_tool("create_generation", {"prompt": "ours", "model": "ray-2", "wait": False})
        ray3 = await client.call_tool("create_generation", {"prompt": "ours", "model": "ray-3.2", "wait": False})
        ours = [(ray2.structured_content or {})["id"], (ray3.structured_content or {})["id"]]
        emulator.clear_requests()
        with ledger_reads() as reads:
            for _ in range(3):
                for generation_id in (*ours, dream_machine_elsewhere):
                    await get(client, generation_id)
        # Each account's ledger read once, whole; a row is read only for the prompt the Agents API does not echo.
        assert reads == {"recent": 2, "get": 3}
        assert [gets_of(emulator, generation_id) for generation_id in (*ours, dream_machine_elsewhere)] == [
            (3, 0),
            (0, 3),
            (3, 0),
        ]

        with ledger_reads() as reads:
            first = await get(client, agents_elsewhere)
            again = await get(client, agents_elsewhere)
        assert (first["api"], again["api"]) == ("agents", "agents")
        assert gets_of(emulator, agents_elsewhere) == (1, 2), "Dream Machine asked once, then the answer is known"
        # The first: is it a generation of ours Dream Machine lost (deleted)? Then each Agents answer's prompt.
        assert reads == {"get": 3}


def test_routes_are_kept_per_account_and_bounded() -> None:
    routes = Routes(ledger=None, size=2)
    routes.learn("alice", "one")
    routes.learn("alice", "two")
    assert routes.knows("alice", "one") and not routes.knows("bob", "one")
    routes.learn("bob", "three")  # past the bound: the least recently used ("two") falls out
    assert (routes.knows("alice", "one"), routes.knows("alice", "two"), routes.knows("bob", "three")) == (
        True,
        False,
        True,
    )

"""Measure luma-mcp against the emulator and print the figures.

    python bench/bench.py

Everything runs on loopback: the emulator in this process, the server as a real stdio subprocess (the way
Claude Desktop runs it) with the product's own poll schedule.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import anyio
import httpx
from mcp import Client, StdioServerParameters

from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator

STARTUP_RUNS = 5
ROUND_TRIPS = 50
DREAMING_SECONDS = (4.0, 5.5, 7.0, 8.5, 10.0, 11.5)
QUEUED_SECONDS = 1.0


def server_params(emulator: Emulator, output_dir: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "luma_mcp"],
        env={
            "LUMA_API_KEY": emulator.api_key,
            "LUMA_BASE_URL": emulator.base_url,
            "LUMA_MCP_OUTPUT_DIR": str(output_dir),
            "LUMA_MCP_MAX_WAIT": "60",
            "LUMA_MCP_LOG_LEVEL": "WARNING",
        },
    )


def quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   n={len(ordered)}"


async def startup(emulator: Emulator, output_dir: Path) -> list[float]:
    samples = []
    for _ in range(STARTUP_RUNS):
        began = time.perf_counter()
        async with Client(server_params(emulator, output_dir)) as client:
            await client.list_tools()
            samples.append(time.perf_counter() - began)
    return samples


async def round_trips(client: Client, emulator: Emulator) -> tuple[list[float], list[float]]:
    created = await client.call_tool("create_generation", {"prompt": "a round-trip probe", "wait": False})
    assert created.structured_content is not None
    generation_id = created.structured_content["id"]
    emulator.finish_now(generation_id)
    tool, raw = [], []
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emulator.api_key}"}) as http:
        for _ in range(ROUND_TRIPS):
            began = time.perf_counter()
            await client.call_tool("get_generation", {"generation_id": generation_id})
            tool.append(time.perf_counter() - began)
            began = time.perf_counter()
            (await http.get(f"{emulator.base_url}/generations/{generation_id}")).raise_for_status()
            raw.append(time.perf_counter() - began)
    return tool, raw


async def detection(client: Client, emulator: Emulator) -> tuple[list[float], list[float], list[int]]:
    """Create generations of known length at once, each call waiting for its video, and compare when each
    call returned with when the emulator finished that generation."""
    for dreaming in DREAMING_SECONDS:
        emulator.plan_next(queued_seconds=QUEUED_SECONDS, dreaming_seconds=dreaming)
    returned: dict[str, tuple[str, float]] = {}

    async def create(prompt: str) -> None:
        result = await client.call_tool("create_generation", {"prompt": prompt})
        assert result.structured_content is not None and result.structured_content["state"] == "completed"
        returned[prompt] = (result.structured_content["id"], time.monotonic())

    async with anyio.create_task_group() as group:
        for number in range(len(DREAMING_SECONDS)):
            group.start_soon(create, f"detection probe {number}")
    lags, rates, polls = [], [], []
    # Plans apply in creation order, so the n-th create Luma received got the n-th plan.
    for post, dreaming in zip(
        emulator.requests_for("POST", "/generations/video")[-len(DREAMING_SECONDS) :], DREAMING_SECONDS, strict=True
    ):
        generation_id, noticed = returned[post.body["prompt"]]
        lags.append(noticed - (post.at + QUEUED_SECONDS + dreaming))
        polls.append(len(emulator.requests_for("GET", f"/generations/{generation_id}")))
        rates.append(polls[-1] / (noticed - post.at))
    return lags, rates, polls


async def main() -> None:
    with TemporaryDirectory() as output_dir:
        async with run_emulator(EmulatorConfig()) as emulator:
            starts = await startup(emulator, Path(output_dir))
            async with Client(server_params(emulator, Path(output_dir))) as client:
                tool, raw = await round_trips(client, emulator)
                lags, rates, polls = await detection(client, emulator)
    print("luma-mcp benchmark (emulator on loopback, server over stdio, product poll schedule)")
    print(f"  startup to tools/list          {quantiles(starts)}")
    print(f"  get_generation round trip      {quantiles(tool)}")
    print(f"  raw httpx GET (baseline)       {quantiles(raw)}")
    print(f"  completion-detection lag       {quantiles(lags)}   max {max(lags) * 1000:.0f} ms")
    print(
        f"  polls per generation           {polls} for {[QUEUED_SECONDS + d for d in DREAMING_SECONDS]} s "
        f"generations; {max(rates):.2f} GET/s at most, {statistics.mean(rates):.2f} on average"
    )


if __name__ == "__main__":
    anyio.run(main)

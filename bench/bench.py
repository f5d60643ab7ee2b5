"""Measure luma-mcp against the emulator and print a table of figures.

    python bench/bench.py

Everything runs on loopback: the emulator in this process, the server as a real stdio subprocess (the way
Claude Desktop runs it) with the product's own poll schedule. Linux only (RSS is read from /proc).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import anyio
import httpx
from mcp import Client, StdioServerParameters

from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator

STARTUP_RUNS = 5
IMPORT_RUNS = 5
ROUND_TRIPS = 50
DREAMING_SECONDS = (4.0, 5.5, 7.0, 8.5, 10.0, 11.5)
QUEUED_SECONDS = 1.0
IN_FLIGHT = (1, 10, 100)
TICK_WINDOW = 6.0

Row = tuple[str, str]


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


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def import_time(module: str) -> float:
    samples = []
    for _ in range(IMPORT_RUNS):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def server_rss_mib() -> float:
    """RSS of this process's `python -m luma_mcp` child, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"luma_mcp" in command:
            status = (entry / "status").read_text()
            line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
            return int(line.split()[1]) / 1024
    raise RuntimeError("the server process was not found")


async def startup(emulator: Emulator, output_dir: Path) -> list[Row]:
    samples = []
    for _ in range(STARTUP_RUNS):
        began = time.perf_counter()
        async with Client(server_params(emulator, output_dir)) as client:
            await client.list_tools()
            samples.append(time.perf_counter() - began)
    sdk, ours = import_time("mcp.server"), import_time("luma_mcp.server")
    return [
        ("startup: spawn to tools/list answered", ms(samples)),
        ("import mcp.server (the SDK alone)", f"{sdk * 1000:.0f} ms"),
        ("import luma_mcp.server", f"{ours * 1000:.0f} ms (+{(ours - sdk) * 1000:.0f} ms over the SDK)"),
    ]


async def round_trips(client: Client, emulator: Emulator) -> list[Row]:
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
    overhead = statistics.median(tool) - statistics.median(raw)
    return [
        ("get_generation over stdio", ms(tool)),
        ("raw httpx GET of the same generation", ms(raw)),
        ("per-call overhead over the raw GET (p50)", f"{overhead * 1000:.1f} ms"),
    ]


async def detection(client: Client, emulator: Emulator) -> list[Row]:
    """Create generations of known length at once, each call waiting for its video, and compare when each
    call returned with when the emulator finished that generation."""
    for dreaming in DREAMING_SECONDS:
        emulator.plan_next(queued_seconds=QUEUED_SECONDS, dreaming_seconds=dreaming)
    emulator.clear_requests()
    returned: dict[str, tuple[str, float]] = {}

    async def create(prompt: str) -> None:
        result = await client.call_tool("create_generation", {"prompt": prompt})
        assert result.structured_content is not None and result.structured_content["state"] == "completed"
        returned[prompt] = (result.structured_content["id"], time.monotonic())

    async with anyio.create_task_group() as group:
        for number in range(len(DREAMING_SECONDS)):
            group.start_soon(create, f"detection probe {number}")
    lags = []
    # Plans apply in creation order, so the n-th create Luma received got the n-th plan.
    for post, dreaming in zip(emulator.requests_for("POST", "/generations/video"), DREAMING_SECONDS, strict=True):
        _, noticed = returned[post.body["prompt"]]
        lags.append(noticed - (post.at + QUEUED_SECONDS + dreaming))
    requests = len(emulator.requests) / len(DREAMING_SECONDS)
    seconds = QUEUED_SECONDS + statistics.mean(DREAMING_SECONDS)
    return [
        (f"completion-detection lag ({len(DREAMING_SECONDS)} at once)", f"{ms(lags)}, max {max(lags) * 1000:.0f} ms"),
        ("Luma requests per generation (create + polls)", f"{requests:.1f} for {seconds:.1f} s of generation"),
    ]


async def detection_alone(client: Client, emulator: Emulator) -> list[Row]:
    """One generation at a time: the single-GET path, and its requests per second."""
    lags, rates = [], []
    for dreaming in DREAMING_SECONDS[:3]:
        emulator.plan_next(queued_seconds=QUEUED_SECONDS, dreaming_seconds=dreaming)
        emulator.clear_requests()
        result = await client.call_tool("create_generation", {"prompt": f"alone for {dreaming} s"})
        noticed = time.monotonic()
        assert result.structured_content is not None and result.structured_content["state"] == "completed"
        posted = emulator.requests_for("POST", "/generations/video")[0].at
        lags.append(noticed - (posted + QUEUED_SECONDS + dreaming))
        rates.append(len(emulator.requests_for("GET", "/generations/*")) / (noticed - posted))
    return [
        ("completion-detection lag (one at a time)", f"{ms(lags)}, max {max(lags) * 1000:.0f} ms"),
        ("GETs per second for a lone generation", f"max {max(rates):.2f}"),
    ]


async def in_flight(client: Client, emulator: Emulator, count: int) -> list[Row]:
    """`count` generations waited on at once: Luma requests per poll tick, and the server's memory."""
    async with httpx.AsyncClient(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
    ) as http:
        ids = []
        for number in range(count):
            emulator.plan_next(queued_seconds=0.0, dreaming_seconds=TICK_WINDOW + 4)
            response = await http.post("/generations", json={"model": "ray-2", "prompt": f"load {number}"})
            ids.append(response.json()["id"])
    rss: list[float] = []
    window: list[int] = []

    async def wait(generation_id: str) -> None:
        await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True})

    async with anyio.create_task_group() as group:
        for generation_id in ids:
            group.start_soon(wait, generation_id)
        await anyio.sleep(2.0)  # past the initial lookups, into steady polling
        emulator.clear_requests()
        await anyio.sleep(TICK_WINDOW)
        window.append(len(emulator.requests))
        rss.append(server_rss_mib())
    per_tick = window[0] / (TICK_WINDOW / 1.0)
    return [(f"{count:>3} in flight: Luma requests per 1 s tick, RSS", f"{per_tick:.1f} requests, {rss[0]:.1f} MiB")]


async def main() -> None:
    rows: list[Row] = []
    with TemporaryDirectory() as output_dir:
        async with run_emulator(EmulatorConfig()) as emulator:
            rows += await startup(emulator, Path(output_dir))
            async with Client(server_params(emulator, Path(output_dir))) as client:
                rows.append(("RSS idle, after tools/list", f"{server_rss_mib():.1f} MiB"))
                rows += await round_trips(client, emulator)
                rows += await detection(client, emulator)
                rows += await detection_alone(client, emulator)
                for count in IN_FLIGHT:
                    rows += await in_flight(client, emulator, count)
    width = max(len(name) for name, _ in rows)
    print("luma-mcp benchmark: emulator on loopback, server over stdio, product poll schedule")
    for name, figure in rows:
        print(f"  {name:<{width}}  {figure}")


if __name__ == "__main__":
    anyio.run(main)

"""Measure luma-mcp against the emulator and print a table of figures.

    python bench/bench.py

Everything runs on loopback: the emulator in this process, the server as a real stdio subprocess (the way
Claude Desktop runs it) with the product's own poll schedule. Linux only (RSS and CPU time are read from /proc).

Targets: Luma requests per tick at N in flight at most ceil(N/100) up to 1000; the server's CPU at 1000 in flight
under 10 % of a core; startup at most 1.10 x the SDK's own import; polling stopped within 1 s of the last
cancelled wait. With both a Dream Machine and an Agents key, 1000 waits at once cost what they cost with one key
(the first looks at Luma take about as long). On the Agents API, which cannot list, one GET a second per generation
(and the call's own first look, for one it did not start), and completion noticed within the same 1.5 s as on
Dream Machine.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Literal

import anyio
import httpx
from mcp import Client, StdioServerParameters

from luma_mcp.emulator import Emulator, EmulatorConfig, run_emulator
from luma_mcp.settings import Api

STARTUP_RUNS = 7
ROUND_TRIPS = 50
DREAMING_SECONDS = (4.0, 5.5, 7.0, 8.5, 10.0, 11.5)
QUEUED_SECONDS = 1.0
IN_FLIGHT = (1, 10, 100, 300, 1000)
TICK_WINDOW = 6.0
SETTLE_SECONDS = 2.0
DETECTION_SAMPLES = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Row = tuple[str, str]


def server_params(
    emulator: Emulator,
    output_dir: Path,
    *,
    apis: tuple[Api, ...] = ("dream-machine",),
    first_look: Literal["typical", "early"] = "typical",
) -> StdioServerParameters:
    """The server as a user runs it, with a key for each of `apis`."""
    env = {
        "LUMA_MCP_OUTPUT_DIR": str(output_dir),
        "LUMA_MCP_STATE_DIR": str(output_dir / ".state"),
        "LUMA_MCP_MAX_WAIT": "60",
        "LUMA_MCP_LOG_LEVEL": "WARNING",
        "LUMA_MCP_FIRST_LOOK": first_look,
    }
    if "dream-machine" in apis:
        env |= {"LUMA_API_KEY": emulator.api_key, "LUMA_BASE_URL": emulator.base_url}
    if "agents" in apis:
        env |= {"LUMA_AGENTS_API_KEY": emulator.agents_api_key, "LUMA_AGENTS_BASE_URL": emulator.agents_base_url}
    return StdioServerParameters(command=sys.executable, args=["-m", "luma_mcp"], env=env)


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def import_time(module: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - began


def server_process() -> Path:
    """/proc entry of this process's `python -m luma_mcp` child."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"luma_mcp" in command:
            return entry
    raise RuntimeError("the server process was not found")


def server_rss_mib() -> float:
    status = (server_process() / "status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def server_cpu_seconds() -> float:
    """User plus system CPU time the server has used so far."""
    fields = (server_process() / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def spawn_to_tools(emulator: Emulator, output_dir: Path) -> float:
    began = time.perf_counter()
    async with Client(server_params(emulator, output_dir)) as client:
        await client.list_tools()
        return time.perf_counter() - began


async def startup(emulator: Emulator, output_dir: Path) -> list[Row]:
    """Our startup and the SDK's bare import, interleaved run by run so both see the same machine load."""
    ours, sdk, imported = [], [], []
    for _ in range(STARTUP_RUNS):
        sdk.append(import_time("mcp.server"))
        ours.append(await spawn_to_tools(emulator, output_dir))
        imported.append(import_time("luma_mcp.server"))
    ratio = statistics.median(ours) / statistics.median(sdk)
    return [
        ("startup: spawn to tools/list answered", ms(ours)),
        ("python -c 'import mcp.server' (the SDK alone)", ms(sdk)),
        ("python -c 'import luma_mcp.server'", ms(imported)),
        ("startup / SDK import (medians, target <= 1.10)", f"{ratio:.2f}"),
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


KINDS: tuple[Literal["video", "image"], ...] = ("video", "image")
TYPICAL_JOBS = {"video": (70.0, 80.0, 90.0, 100.0, 110.0, 120.0), "image": (15.0, 20.0, 25.0, 30.0, 40.0, 60.0)}
"""How long Ray 3.2 videos (one to two minutes) and Uni-1 images (15-60 s) take at Luma (luma-agents-api.md §4.3,
§6), for the rows with the product's first look near the typical time."""


async def agents_detection(
    client: Client, emulator: Emulator, kind: Literal["video", "image"], durations: tuple[float, ...], label: str
) -> list[Row]:
    """As `detection`, on the Agents API, which has no list endpoint: the poller GETs each generation. Videos are
    made with create_generation (ray-3.2); images are made on the API directly (uni-1). Each is then waited for with
    get_generation(wait=true) until it is done, as a model does when a call's time runs out."""
    for processing in durations:
        emulator.agents.plan_next(queued_seconds=QUEUED_SECONDS, processing_seconds=processing)
    emulator.clear_requests()
    returned: dict[str, float] = {}

    async def until_done(generation_id: str, prompt: str) -> None:
        while True:
            waited = await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True})
            assert waited.structured_content is not None
            if waited.structured_content["state"] == "completed":
                returned[prompt] = time.monotonic()
                return

    async def video(prompt: str) -> None:
        result = await client.call_tool("create_generation", {"prompt": prompt, "model": "ray-3.2", "wait": False})
        assert result.structured_content is not None
        await until_done(result.structured_content["id"], prompt)

    async def image(prompt: str, http: httpx.AsyncClient) -> None:
        created = await http.post("/generations", json={"prompt": prompt, "model": "uni-1", "type": "image"})
        await until_done(created.json()["id"], prompt)

    async with (
        httpx.AsyncClient(
            base_url=emulator.agents_base_url, headers={"Authorization": f"Bearer {emulator.agents_api_key}"}
        ) as http,
        anyio.create_task_group() as group,
    ):
        for number in range(len(durations)):
            if kind == "video":
                group.start_soon(video, f"agents video probe {number}")
            else:
                group.start_soon(image, f"agents image probe {number}", http)
    posts = emulator.requests_for("POST", "/agents/v1/generations")
    # Plans apply in creation order, so the n-th create Luma received got the n-th plan.
    lags = [
        returned[post.body["prompt"]] - (post.at + QUEUED_SECONDS + processing)
        for post, processing in zip(posts, durations, strict=True)
    ]
    requests = len(emulator.requests) / len(durations)
    seconds = QUEUED_SECONDS + statistics.mean(durations)
    gets = len(emulator.requests_for("GET", "/agents/v1/generations/*")) / len(durations) / seconds
    return [
        (
            f"Agents {kind}, {label}: completion-detection lag ({len(durations)} at once)",
            f"{ms(lags)}, max {max(lags) * 1000:.0f} ms",
        ),
        (
            f"Agents {kind}, {label}: Luma requests per generation (create + GETs)",
            f"{requests:.1f} for {seconds:.1f} s of generation: {gets:.2f} GETs a second",
        ),
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


async def in_flight(client: Client, emulator: Emulator, count: int, *, label: str = "") -> tuple[list[Row], float]:
    """`count` generations waited on at once: how long until every call has made its first look at Luma (also
    returned, in seconds). In steady polling: Luma requests a second, the server's CPU and memory. Then a few of
    them finish (the worst lag until their calls return), and the rest of the waits are cancelled (how long until
    the last request to Luma). `label` names the server's setup in the rows."""
    async with httpx.AsyncClient(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
    ) as http:
        ids = []
        for number in range(count):
            emulator.plan_next(queued_seconds=0.0, dreaming_seconds=600.0)
            response = await http.post("/generations", json={"model": "ray-2", "prompt": f"load {number}"})
            ids.append(response.json()["id"])
    emulator.clear_requests()
    returned: dict[str, float] = {}

    async def wait(generation_id: str) -> None:
        await client.call_tool("get_generation", {"generation_id": generation_id, "wait": True})
        returned[generation_id] = time.monotonic()

    async with anyio.create_task_group() as group:
        began = time.monotonic()
        for generation_id in ids:
            group.start_soon(wait, generation_id)
        # Every call has made its own first look (the poller never GETs a generation before its call has).
        while len({request.path for request in emulator.requests_for("GET", "/generations/*")}) < count:
            await anyio.sleep(0.01)
        first_looks = time.monotonic() - began
        await anyio.sleep(SETTLE_SECONDS)  # into steady polling
        emulator.clear_requests()
        cpu_before = server_cpu_seconds()
        await anyio.sleep(TICK_WINDOW)
        per_second = len(emulator.requests) / TICK_WINDOW
        cpu = (server_cpu_seconds() - cpu_before) / TICK_WINDOW
        rss = server_rss_mib()

        sample = ids[:: max(1, count // DETECTION_SAMPLES)][:DETECTION_SAMPLES]
        finished_at = {}
        for generation_id in sample:
            emulator.finish_now(generation_id)
            finished_at[generation_id] = time.monotonic()
        while len(returned) < len(sample):
            await anyio.sleep(0.01)
        lag = max(returned[generation_id] - finished_at[generation_id] for generation_id in sample)

        cancelled_at = time.monotonic()
        group.cancel_scope.cancel()
    await anyio.sleep(2.0)
    after = [request.at - cancelled_at for request in emulator.requests if request.at >= cancelled_at]
    for generation_id in ids:
        if generation_id not in finished_at:
            emulator.finish_now(generation_id)
    target = math.ceil(count / 100)
    rows = [
        (
            f"{count:>4} in flight{label}: Luma requests/s, CPU, RSS",
            f"{per_second:.1f} requests/s (target <= {target}), {cpu * 100:.1f} % of a core, {rss:.1f} MiB",
        ),
        (f"{count:>4} in flight{label}: calls started to all first looks at Luma", f"{first_looks * 1000:.0f} ms"),
        (
            f"{count:>4} in flight{label}: worst lag of {len(sample)}, polling after cancel",
            f"{lag * 1000:.0f} ms; last request {max(after, default=0.0) * 1000:.0f} ms after cancelling",
        ),
    ]
    return rows, first_looks


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
                    found, one_key = await in_flight(client, emulator, count)
                    rows += found
            async with Client(server_params(emulator, Path(output_dir), apis=("dream-machine", "agents"))) as client:
                found, both_keys = await in_flight(client, emulator, IN_FLIGHT[-1], label=" (both keys)")
                rows += found
                rows.append(
                    (f"{IN_FLIGHT[-1]:>4} in flight: first looks, both keys / one key", f"{both_keys / one_key:.2f}")
                )
            early = server_params(emulator, Path(output_dir), apis=("agents",), first_look="early")
            async with Client(early) as client:
                for kind in KINDS:
                    rows += await agents_detection(client, emulator, kind, DREAMING_SECONDS, "first look early")
            async with Client(server_params(emulator, Path(output_dir), apis=("agents",))) as client:
                for kind in KINDS:  # one after the other: Luma's plans apply in creation order
                    rows += await agents_detection(
                        client, emulator, kind, TYPICAL_JOBS[kind], "first look near the typical time"
                    )
    width = max(len(name) for name, _ in rows)
    print("luma-mcp benchmark: emulator on loopback, server over stdio, product poll schedule")
    for name, figure in rows:
        print(f"  {name:<{width}}  {figure}")


if __name__ == "__main__":
    anyio.run(main)

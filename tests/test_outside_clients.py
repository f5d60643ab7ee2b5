"""Clients we did not write, against the real `luma-mcp` command on the emulator: the MCP Inspector CLI over stdio,
and the MCP conformance suite's generic server scenarios over Streamable HTTP.

Both are npm packages that need Node >= 22. `.ci/run` installs a pinned Node and both clients into `.ci-node/` and
sets LUMA_MCP_NODE_BIN (folder holding `node`), LUMA_MCP_OUTSIDE_CLIENTS_DIR (npm prefix holding the clients) and
LUMA_MCP_REQUIRE_OUTSIDE_CLIENTS=1. Without them the tests look in `.ci-node/`, then for `node` on PATH, and skip
when something is missing; with LUMA_MCP_REQUIRE_OUTSIDE_CLIENTS=1 they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import ByteReceiveStream

from luma_mcp.emulator import Emulator
from tests.helpers import TOOL_NAMES
from tests.test_end_to_end import http_server, server_env

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]
MIN_NODE = (22, 19)  # the Inspector's `engines`; the conformance suite needs 22 (fs.globSync)
# The scenarios that hold for any server; the others call the SDK's fixture tools (test_simple_text, ...).
GENERIC_SCENARIOS = (
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class OutsideClients:
    node: Path
    inspector: Path
    conformance: Path
    env: dict[str, str]


@dataclass(frozen=True)
class Finished:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str

    def report(self) -> str:
        return ANSI.sub("", f"$ {' '.join(self.command)}\nexit {self.returncode}\n{self.stdout}\n{self.stderr}")


def _find_clients() -> tuple[Path, Path, Path] | str:
    """(node, inspector, conformance), or why they cannot be used."""
    node = Path(os.environ.get("LUMA_MCP_NODE_BIN") or ROOT / ".ci-node" / "bin") / "node"
    if not node.exists() and not os.environ.get("LUMA_MCP_NODE_BIN"):
        node = Path(shutil.which("node") or node)
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"no usable node at {node} ({exc}); .ci/run installs Node 22"
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if numbers < MIN_NODE:
        wanted = ".".join(map(str, MIN_NODE))
        return f"{node} is Node {version or '?'}; the Inspector and conformance CLIs need Node >= {wanted}"
    prefix = Path(os.environ.get("LUMA_MCP_OUTSIDE_CLIENTS_DIR") or ROOT / ".ci-node" / "tools")
    bins = [prefix / "node_modules" / ".bin" / name for name in ("inspector", "conformance")]
    missing = [str(path) for path in bins if not path.exists()]
    if missing:
        return f"outside clients not installed ({', '.join(missing)}); .ci/run installs them with npm ci"
    return node, bins[0], bins[1]


@pytest.fixture
def clients(tmp_path: Path) -> OutsideClients:
    found = _find_clients()
    if isinstance(found, str):
        if os.environ.get("LUMA_MCP_REQUIRE_OUTSIDE_CLIENTS") == "1":
            pytest.fail(f"LUMA_MCP_REQUIRE_OUTSIDE_CLIENTS=1 but {found}")
        pytest.skip(found)
    node, inspector, conformance = found
    home = tmp_path / "home"  # the Inspector keeps a catalog and secrets under ~/.mcp-inspector
    home.mkdir()
    env = {
        **os.environ,
        "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "NO_COLOR": "1",
    }
    return OutsideClients(node, inspector, conformance, env)


async def run(command: list[str], env: dict[str, str], timeout: float = 50) -> Finished:
    """Run a command without blocking the event loop (the emulator lives in it); on timeout, kill its whole process
    group (the Inspector's stdio server too) and fail with what it printed so far."""
    output = {"stdout": bytearray(), "stderr": bytearray()}

    async def drain(stream: ByteReceiveStream | None, into: bytearray) -> None:
        if stream is not None:
            async for chunk in stream:
                into.extend(chunk)

    process = await anyio.open_process(command, env=env, start_new_session=True)
    try:
        with anyio.move_on_after(timeout) as deadline:
            async with anyio.create_task_group() as group:
                group.start_soon(drain, process.stdout, output["stdout"])
                group.start_soon(drain, process.stderr, output["stderr"])
                await process.wait()
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
        with anyio.CancelScope(shield=True):
            await process.aclose()
    finished = Finished(
        [str(part) for part in command],
        process.returncode if process.returncode is not None else -9,
        output["stdout"].decode(errors="replace"),
        output["stderr"].decode(errors="replace"),
    )
    if deadline.cancelled_caught:
        pytest.fail(f"timed out after {timeout} s:\n{finished.report()}")
    return finished


async def inspector(clients: OutsideClients, emulator: Emulator, tmp_path: Path, *method: str) -> dict[str, Any]:
    """`inspector --cli <python -m luma_mcp> -e ... --method ... --format json`; returns its `result`."""
    command = [str(clients.node), str(clients.inspector), "--cli", sys.executable, "-m", "luma_mcp"]  # target first
    for key, value in server_env(emulator, tmp_path / "out").items():
        command += ["-e", f"{key}={value}"]
    command += [*method, "--format", "json"]
    finished = await run(command, clients.env)
    assert finished.returncode == 0, finished.report()
    result: dict[str, Any] = json.loads(finished.stdout)["result"]
    return result


async def test_inspector_lists_every_tool_over_stdio(
    clients: OutsideClients, emulator: Emulator, tmp_path: Path
) -> None:
    result = await inspector(clients, emulator, tmp_path, "--method", "tools/list")
    names = [tool["name"] for tool in result["tools"]]
    assert {"create_generation", "list_concepts"} <= set(names)
    assert sorted(names) == sorted(TOOL_NAMES)


async def test_inspector_calls_list_concepts(clients: OutsideClients, emulator: Emulator, tmp_path: Path) -> None:
    result = await inspector(clients, emulator, tmp_path, "--method", "tools/call", "--tool-name", "list_concepts")
    assert result["isError"] is False, result
    assert "dolly_zoom" in result["structuredContent"]["concepts"]


async def test_inspector_creates_a_video_and_waits_for_it(
    clients: OutsideClients, emulator: Emulator, tmp_path: Path
) -> None:
    prompt = "prompt=a tiger walking in snow"
    call = ["--method", "tools/call", "--tool-name", "create_generation", "--tool-arg", prompt]  # wait defaults to true
    result = await inspector(clients, emulator, tmp_path, *call)
    assert result["isError"] is False, result
    video = result["structuredContent"]
    assert video["state"] == "completed", video
    assert video["video_url"].startswith(emulator.base_url.split("/dream-machine")[0]), video
    assert emulator.requests, "the server behind the Inspector really talked to the emulator"


async def test_conformance_generic_scenarios_over_streamable_http(
    clients: OutsideClients, emulator: Emulator, tmp_path: Path
) -> None:
    failures: list[str] = []
    log = tmp_path / "server.log"
    with anyio.fail_after(60):
        async with http_server("streamable-http", server_env(emulator, tmp_path / "out"), log) as url:
            conformance = [str(clients.node), str(clients.conformance), "server", "--url", f"{url}/mcp"]
            for scenario in GENERIC_SCENARIOS:  # the CLI takes one --scenario per run
                finished = await run([*conformance, "--scenario", scenario], clients.env, timeout=30)
                if finished.returncode != 0 or "0 failed" not in finished.stdout:
                    failures.append(finished.report())
    server_log = log.read_text(errors="replace")
    assert not failures, "\n\n".join([*failures, f"server log:\n{server_log[-4000:]}"])

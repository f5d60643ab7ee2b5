"""`luma-mcp demo`: the whole job, offline, as an assistant would do it.

Starts the Luma API emulator in this process, launches `luma-mcp` over stdio as a real MCP client would, and
drives it with the official MCP client: make a Ray 3.2 video with a progress bar, extend it, make a Uni-1 image,
download both. The
server gets a key of each Luma API, as a user with both would, so the default model is Ray 3.2.
"""

from __future__ import annotations

import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import TaskStatus
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult

from .emulator import Emulator, EmulatorConfig, run_emulator

PROMPT = "a tiger walking in snow, slow dolly zoom"
POSTER = "a film poster of a tiger in falling snow, bold title lettering"
INTERRUPTED = 128 + signal.SIGINT


def run_demo(output_dir: str | None = None) -> int:
    """Returns the exit status: 0, or 130 after Ctrl-C. A temp folder it made and left empty is removed."""
    target = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="luma-mcp-demo-"))
    try:
        return anyio.run(_demo, target)
    except KeyboardInterrupt:  # pressed while the emulator was still starting
        return INTERRUPTED
    finally:
        if output_dir is None and not any(target.iterdir()):
            target.rmdir()


async def _demo(target: Path) -> int:
    """Ctrl-C stops the walk-through; the server it launched and the emulator then shut down in order."""
    async with run_emulator(EmulatorConfig(queued_seconds=0.5, dreaming_seconds=4.0)) as emulator:
        with anyio.CancelScope() as walk_through:
            try:
                async with anyio.create_task_group() as tasks:
                    await tasks.start(_cancel_on_ctrl_c, walk_through)
                    print(f"Luma API emulator on {emulator.base_url} (no key or network needed)")
                    await _walk_through(emulator, target)
                    tasks.cancel_scope.cancel()
            except* SystemExit as failed:  # a tool failed: its message, not a task group's traceback
                leaf: BaseException = failed
                while isinstance(leaf, BaseExceptionGroup):  # the MCP client's own task group nests one more
                    leaf = leaf.exceptions[0]
                raise leaf from None
    return INTERRUPTED if walk_through.cancelled_caught else 0


async def _cancel_on_ctrl_c(scope: anyio.CancelScope, *, task_status: TaskStatus[None]) -> None:
    with anyio.open_signal_receiver(signal.SIGINT) as signals:
        task_status.started()
        async for _ in signals:
            scope.cancel()
            return


async def _walk_through(emulator: Emulator, target: Path) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "luma_mcp"],
        env={
            "LUMA_API_KEY": emulator.api_key,
            "LUMA_BASE_URL": emulator.base_url,
            "LUMA_AGENTS_API_KEY": emulator.agents_api_key,
            "LUMA_AGENTS_BASE_URL": emulator.agents_base_url,
            "LUMA_MCP_OUTPUT_DIR": str(target),
            "LUMA_MCP_LEDGER": "off",  # the emulator's generations are not the user's
            "LUMA_MCP_FIRST_LOOK": "early",  # the emulator's take seconds, not minutes
            "LUMA_MCP_LOG_LEVEL": "WARNING",
        },
    )
    async with Client(server) as client:
        tools = await client.list_tools()
        print(f"luma-mcp over stdio: {len(tools.tools)} tools")

        print(f'\n1. create_generation "{PROMPT}", 9:16')
        created = await _call(client, "create_generation", {"prompt": PROMPT, "aspect_ratio": "9:16"})
        generation_id = created["id"]
        print(f"   {created['model']} ({created['api']} API, {_cost(created)}): {created['video_url']}")

        print("\n2. extend_generation forward")
        extended = await _call(
            client,
            "extend_generation",
            {"generation_id": generation_id, "prompt": "the tiger stops and looks at the camera"},
        )
        print(f"   {extended['state']}: {extended['video_url']}")

        print(f'\n3. generate_image "{POSTER}"')
        image = await _call(client, "generate_image", {"prompt": POSTER, "aspect_ratio": "2:3"})
        print(f"   {image['model']} ({_cost(image)}), {image['state']}: {image['image_url']}")

        print("\n4. download_generation, the video and the image")
        saved = await _call(client, "download_generation", {"generation_id": extended["id"]})
        poster = await _call(client, "download_generation", {"generation_id": image["id"]})
        print(f"   {saved['video_bytes']} and {poster['total_bytes']} bytes")
    print(f"\nYour video: {saved['video_path']}")
    print(f"Your image: {poster['image_paths'][0]}")
    print("They are the emulator's placeholders, the same whatever the prompt; with a LUMA_API_KEY the same calls make")
    print("real ones. The emulator's URLs above stop working when the demo exits; the files stay.")


def _cost(result: dict[str, Any]) -> str:
    cost = result.get("estimated_cost_usd")
    return "price unknown" if cost is None else f"about ${cost:.2f}"


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool, drawing its MCP progress notifications as a bar when stdout is a terminal."""
    terminal = sys.stdout.isatty()

    async def show(progress: float, total: float | None, message: str | None) -> None:
        if terminal:
            filled = int(30 * progress / (total or 100))
            bar = f"   [{'#' * filled}{'.' * (30 - filled)}] {progress:5.1f}% {message or ''}"
            print(f"\r{bar:<80.80}", end="", flush=True)

    result: CallToolResult = await client.call_tool(tool, arguments, progress_callback=show)
    if terminal:
        print(f"\r{'':<80}\r", end="")
    if result.is_error or result.structured_content is None:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        raise SystemExit(f"{tool} failed: {text}")
    content: dict[str, Any] = result.structured_content
    return content

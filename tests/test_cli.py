"""The `luma-mcp` command as a person at a terminal meets it: one Ctrl-C ends it quietly, and a terminal on stdin
gets a word on what the program is for."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process

from luma_mcp.emulator import Emulator
from tests.helpers import INITIALIZE
from tests.test_end_to_end import SERVER, http_server_process, server_env

pytestmark = pytest.mark.anyio

INTERRUPTED = 128 + signal.SIGINT


@asynccontextmanager
async def launched(command: list[str], **options: Any) -> AsyncIterator[Process]:
    """A child process that is killed if a failed test leaves it running."""
    async with await anyio.open_process(command, **options) as process:
        try:
            yield process
        finally:
            if process.returncode is None:
                with suppress(ProcessLookupError):
                    process.kill()


async def interrupt(process: Process) -> None:
    """One SIGINT, as one Ctrl-C sends; the process must be gone a few seconds later."""
    process.send_signal(signal.SIGINT)
    with anyio.fail_after(8):
        await process.wait()


async def test_one_sigint_ends_the_stdio_server_quietly(emulator: Emulator, tmp_path: Path) -> None:
    env = {**os.environ, **server_env(emulator, tmp_path)}
    errors = tmp_path / "stderr.log"
    with errors.open("wb") as stderr:
        async with launched(SERVER, env=env, stderr=stderr) as process:
            assert process.stdin is not None and process.stdout is not None
            await process.stdin.send((json.dumps(INITIALIZE) + "\n").encode())
            answer = b""
            with anyio.fail_after(20):
                while not answer.endswith(b"\n"):
                    answer += await process.stdout.receive()
            assert json.loads(answer)["id"] == 1
            await interrupt(process)
    assert process.returncode == INTERRUPTED
    assert "Traceback" not in errors.read_text()


async def test_a_terminal_on_stdin_gets_a_hint_and_one_ctrl_c_ends_it(emulator: Emulator, tmp_path: Path) -> None:
    env = {**os.environ, **server_env(emulator, tmp_path, LUMA_MCP_LOG_LEVEL="WARNING")}
    terminal, server_side = os.openpty()
    try:
        async with launched(SERVER, env=env, stdin=server_side, stdout=server_side, stderr=subprocess.PIPE) as process:
            assert process.stderr is not None
            with anyio.fail_after(20):
                hint = (await process.stderr.receive()).decode()
            await interrupt(process)
            rest = b"".join([chunk async for chunk in process.stderr]).decode()
    finally:
        os.close(terminal)
        os.close(server_side)
    assert "stdin/stdout" in hint and "luma-mcp demo" in hint and len(hint.strip().splitlines()) == 1
    assert process.returncode == INTERRUPTED
    assert "Traceback" not in rest


async def test_one_sigint_ends_the_http_server_quietly(emulator: Emulator, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    async with http_server_process("streamable-http", server_env(emulator, tmp_path), log) as (process, _):
        await interrupt(process)
    assert process.returncode == INTERRUPTED
    assert "Traceback" not in log.read_text()


async def test_one_sigint_ends_the_demo_quietly_and_leaves_no_empty_folder(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    errors = tmp_path / "stderr.log"
    with errors.open("wb") as stderr:
        async with launched([sys.executable, "-m", "luma_mcp", "demo"], env=env, stderr=stderr) as process:
            assert process.stdout is not None
            with anyio.fail_after(20):
                assert b"Luma API emulator on" in await process.stdout.receive()
            await interrupt(process)
    assert process.returncode == INTERRUPTED
    assert "Traceback" not in errors.read_text()
    assert not list(tmp_path.glob("luma-mcp-demo-*"))

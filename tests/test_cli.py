"""The `luma-mcp` command as a person at a terminal meets it: one Ctrl-C ends it quietly, a terminal on stdin
gets a word on what the program is for, `--help` tells every option and variable, and an HTTP server says the URL
to connect to."""

from __future__ import annotations

import json
import os
import re
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
from mcp import Client
from mcp.client.sse import sse_client

from luma_mcp import cli, settings
from luma_mcp.emulator import Emulator
from tests.helpers import INITIALIZE
from tests.test_end_to_end import SERVER, http_server_process, server_env

pytestmark = pytest.mark.anyio

INTERRUPTED = 128 + signal.SIGINT
ROOT = Path(__file__).resolve().parent.parent


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


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_help_and_readme_name_every_variable_the_settings_read(capsys: pytest.CaptureFixture[str]) -> None:
    """The list comes from settings.py's own source, so a variable added there and not here fails this test."""
    read = set(re.findall(r"[\"'](LUMA[A-Z_]*)[\"']", Path(settings.__file__).read_text()))
    assert {"LUMA_API_KEY", "LUMAAI_API_KEY", "LUMA_MCP_AUTH_TOKEN"} <= read
    shown = help_text(capsys)
    configuration = (ROOT / "README.md").read_text().partition("## Configuration")[2].partition("\n## ")[0]
    assert sorted(name for name in read if not re.search(rf"\b{name}\b", shown)) == [], "missing from --help"
    assert sorted(name for name in read if f"`{name}`" not in configuration) == [], "missing from the README"


def option_entries(help_shown: str) -> list[list[str]]:
    """Each option in a help text's options section, as its lines: the invocation first, then any description."""
    entries: list[list[str]] = []
    for line in help_shown.partition("\noptions:\n")[2].partition("\n\n")[0].splitlines():
        if re.match(r"^  -", line):
            entries.append([line.strip()])
        else:
            entries[-1].append(line.strip())
    return entries


@pytest.mark.parametrize("command", [[], ["emulator"], ["demo"]], ids=["luma-mcp", "emulator", "demo"])
def test_every_option_has_a_description(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    entries = option_entries(help_text(capsys, *command))
    assert len(entries) >= 2
    undescribed = [entry[0] for entry in entries if len(re.split(r"\s{2,}", entry[0])) < 2 and len(entry) < 2]
    assert undescribed == []


def test_the_readme_names_every_option_of_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    options = [entry[0].split()[0] for entry in option_entries(help_text(capsys, "demo"))]
    readme = (ROOT / "README.md").read_text()
    assert "--output-dir" in options
    assert [option for option in options if option not in ("-h,", "--help") and option not in readme] == []


@pytest.mark.parametrize(("transport", "path"), [("streamable-http", "/mcp"), ("sse", "/sse")])
async def test_the_http_server_says_on_stderr_the_url_a_client_connects_to(
    emulator: Emulator, tmp_path: Path, transport: str, path: str
) -> None:
    env = {**os.environ, **server_env(emulator, tmp_path, LUMA_MCP_LOG_LEVEL="WARNING")}
    command = [*SERVER, "--transport", transport, "--port", "0"]
    async with launched(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        assert process.stderr is not None
        said = ""
        with anyio.fail_after(20):
            while "\n" not in said:
                said += (await process.stderr.receive()).decode()
        url = re.fullmatch(r"luma-mcp: serving MCP at (http://127\.0\.0\.1:[1-9][0-9]*(/\w+))\n", said)
        assert url is not None, said
        assert url.group(2) == path
        connection = sse_client(url.group(1)) if transport == "sse" else url.group(1)
        async with Client(connection) as client:
            assert "create_generation" in [tool.name for tool in (await client.list_tools()).tools]
        await interrupt(process)


async def test_the_demo_saves_its_video_and_says_what_it_is(tmp_path: Path) -> None:
    """The README's quick start: a Ray 3.2 video and a Uni-1 image, placeholders whose URLs die with the emulator."""
    finished = await anyio.run_process([*SERVER, "demo", "--output-dir", str(tmp_path)], check=False)
    said = finished.stdout.decode()
    assert finished.returncode == 0, said + finished.stderr.decode()
    saved = Path(said.partition("Your video: ")[2].partition("\n")[0])
    assert saved.parent == tmp_path and saved.read_bytes()[4:8] == b"ftyp"
    image = Path(said.partition("Your image: ")[2].partition("\n")[0])
    assert image.parent == tmp_path and image.read_bytes()[:3] == b"\xff\xd8\xff"
    assert "ray-3.2 (agents API" in said and "uni-1 (about $" in said
    assert "placeholders" in said and "URLs above stop working when the demo exits" in said

"""Serving an emulator over real HTTP: inside the caller's event loop for tests, or blocking for the CLI."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from collections.abc import AsyncIterator, Iterator

import anyio
import uvicorn
from starlette.types import ASGIApp

from luma_mcp.emulator.config import DEFAULT_CONFIG, EmulatorConfig
from luma_mcp.emulator.emulator import Emulator
from luma_mcp.emulator.middleware import DroppedResponseFilter
from luma_mcp.emulator.paths import AGENTS_PREFIX, API_PREFIX

UVICORN_TICK_SECONDS = 0.1
UVICORN_TICKS_PER_DAY = 864_000
GRACEFUL_SHUTDOWN_SECONDS = 2
"""How long shutdown waits for requests still in progress (say, a delayed fault) before cancelling them."""


@contextlib.asynccontextmanager
async def run_emulator(
    config: EmulatorConfig = DEFAULT_CONFIG, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Emulator]:
    """Serve a fresh emulator in the current event loop until the block exits; ``port=0`` picks a free port.

    The yielded emulator is already accepting connections at ``emulator.base_url`` and ``agents_base_url``.
    """
    emulator = Emulator(config)
    async with serving(emulator.app, host=host, port=port) as origin:
        _locate(emulator, origin)
        yield emulator


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, send_buffer: int | None = None
) -> AsyncIterator[str]:
    """Serve any ASGI app with uvicorn in the current event loop; yields its origin (``http://host:port``).

    Also handy for the little receivers tests put up to catch callbacks. ``send_buffer`` fixes the kernel's send
    buffer of every connection (bytes), so a test can fill a connection whose client stops reading in kilobytes
    rather than megabytes.
    """
    listener = _listening_socket(host, port)
    if send_buffer is not None:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    server = _EmbeddedServer(_uvicorn_config(app))
    with _quiet_deliberate_drops():
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [listener])
            await server.ready.wait()
            try:
                yield _origin(listener)
            finally:
                server.request_exit()


def serve(config: EmulatorConfig = DEFAULT_CONFIG, *, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Serve an emulator until Ctrl-C, after one line on stderr with the base URL and API key of each API."""
    emulator = Emulator(config)
    listener = _listening_socket(host, port)
    _locate(emulator, _origin(listener))
    print(
        f"Luma emulator at {emulator.base_url} (API key: {emulator.api_key}); "
        f"Agents API at {emulator.agents_base_url} (API key: {emulator.agents_api_key})",
        file=sys.stderr,
        flush=True,
    )
    with _quiet_deliberate_drops(), contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(_uvicorn_config(emulator.app)).run(sockets=[listener])


def _locate(emulator: Emulator, origin: str) -> None:
    emulator.base_url = origin + API_PREFIX
    emulator.agents_base_url = origin + AGENTS_PREFIX


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server living in someone else's event loop: it leaves signals to its host and says when it is up."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = anyio.Event()
        self._exit_requested = anyio.Event()

    def request_exit(self) -> None:
        self.should_exit = True
        self._exit_requested.set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        """uvicorn's loop, except that it wakes as soon as exit is requested rather than at its next 0.1 s tick."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % UVICORN_TICKS_PER_DAY
            with anyio.move_on_after(UVICORN_TICK_SECONDS):
                await self._exit_requested.wait()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _uvicorn_config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http="h11",
        lifespan="on",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound before uvicorn starts, so the port (even a picked one) is known up front.

    The protocol is spelled out because asyncio only sets TCP_NODELAY on sockets whose ``proto`` says TCP;
    without it every keep-alive request waits ~40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen()
    except OSError:
        listener.close()
        raise
    return listener


def _origin(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def _quiet_deliberate_drops() -> Iterator[None]:
    uvicorn_errors = logging.getLogger("uvicorn.error")
    drops = DroppedResponseFilter()
    uvicorn_errors.addFilter(drops)
    try:
        yield
    finally:
        uvicorn_errors.removeFilter(drops)

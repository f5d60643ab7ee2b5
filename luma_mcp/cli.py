"""The `luma-mcp` command: parse flags, read the environment once, and hand plain values to the server."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import anyio
from anyio.abc import TaskStatus
from mcp.server import MCPServer

from .errors import ConfigurationError
from .http_app import HttpTransport, check_exposure, serve_http
from .server import build_server, held_open
from .settings import Settings
from .version import __version__

INTERRUPTED = 128 + signal.SIGINT
"""The exit status of a program ended by Ctrl-C."""
TERMINAL_HINT = (
    "luma-mcp speaks MCP on stdin/stdout, for an MCP client (Claude Desktop, Cursor, ...) to launch; typing here "
    "does nothing useful. Try `luma-mcp demo` to see it work offline, or add it to your client's MCP config "
    "(see the README). Ctrl-C quits."
)


ENVIRONMENT = """\
configuration, read from the environment once at start (details in the README):
  LUMA_API_KEY, or LUMAAI_API_KEY     your Luma API key: Dream Machine (luma-...) or Agents API (luma-api-...)
  LUMA_AGENTS_API_KEY                 an Agents API key, when you also have a Dream Machine key
  LUMA_BASE_URL                       the Dream Machine API (default https://api.lumalabs.ai/dream-machine/v1)
  LUMA_AGENTS_BASE_URL                the Agents API (default https://agents.lumalabs.ai/v1)
  LUMA_MCP_OUTPUT_DIR                 where download_generation saves files (default ~/luma-videos)
  LUMA_MCP_INPUT_DIRS                 folders local images and videos may be uploaded from, separated by the
                                      platform's path separator (default: the output folder; ray-3.2 only)
  LUMA_MCP_MAX_WAIT                   seconds one tool call may wait for a video (default 45)
  LUMA_MCP_STATE_DIR                  where the ledger of generations started here is kept (default: the
                                      platform's user data folder, e.g. ~/.local/share/luma-mcp)
  LUMA_MCP_LEDGER                     on (default) or off: keep no ledger
  LUMA_MCP_LOG_LEVEL                  DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO); logs go to stderr
  LUMA_MCP_CREATES_PER_MINUTE         creates sent per minute and account (default 20; 0 = no limit)
  LUMA_MCP_MAX_IN_FLIGHT              generations in flight per account (default 10; 0 = no limit)
  LUMA_MCP_AGENTS_CREATES_PER_MINUTE  the same for the Agents API (default 0: no limit here; Luma's is per plan)
  LUMA_MCP_AGENTS_MAX_IN_FLIGHT       the same for the Agents API (default 0: no limit here)
  LUMA_MCP_PHOTON_CREATES_PER_MINUTE  the same for Photon images, counted apart from videos (default 80)
  LUMA_MCP_PHOTON_MAX_IN_FLIGHT       the same for Photon images (default 40)
  LUMA_MCP_MAX_SPEND_USD              the most spent per account per UTC day, by estimate (default: no cap);
                                      needs the ledger: with it off, paid creates are refused while a cap is set
  LUMA_MCP_CONFIRM_ABOVE_USD          a create estimated above this asks the user first, where the client can
                                      ask (default: never ask)
  LUMA_MCP_FIRST_LOOK                 typical (default): first ask the Agents API about a job near its typical
                                      time (images 20 s, videos 60 s); early: after one second
  LUMA_MCP_MEDIA_HOSTS                more origins the inline player may load media from, comma-separated
                                      (Luma's own are always allowed)
  LUMA_MCP_AGENTS_MEDIA_HOSTS         where the Agents API's outputs are, for the player (not documented;
                                      default https://*.amazonaws.com, the best-known guess)
for the HTTP transports also:
  LUMA_MCP_AUTH_TOKEN                 every request must send Authorization: Bearer <token>
  LUMA_MCP_ALLOWED_HOSTS              host names clients connect with, comma-separated (needed with --host 0.0.0.0)
  LUMA_MCP_HTTP_REQUEST_TIMEOUT       seconds a client has to send a whole request (default 10)
  LUMA_MCP_HTTP_MAX_CONNECTIONS       connections served at once (default 200)
  LUMA_MCP_HTTP_SESSION_IDLE_TIMEOUT  seconds an unused session lives (default 300, or LUMA_MCP_MAX_WAIT + 60)
  LUMA_MCP_HTTP_MAX_SESSIONS          sessions open at once (default 1000)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="luma-mcp",
        description="MCP server for Luma Dream Machine. With no command it serves MCP (stdio by default).",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"luma-mcp {__version__}")
    parser.add_argument(
        "--transport", choices=("stdio", "streamable-http", "sse"), default="stdio", help="default: stdio"
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP transports: address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP transports: port (default 8000)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    emulator = commands.add_parser("emulator", help="run the offline Luma API emulator alone")
    emulator.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 picks a free one)")
    emulator.add_argument(
        "--queued-seconds", type=float, default=0.5, help="how long a new generation stays queued (default 0.5)"
    )
    emulator.add_argument(
        "--dreaming-seconds", type=float, default=3.0, help="how long it then dreams before it completes (default 3)"
    )
    demo = commands.add_parser("demo", help="run the whole job offline: emulator + server + client")
    demo.add_argument("--output-dir", default=None, help="where the demo saves the video (default: a temp folder)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "emulator":
        from . import emulator

        config = emulator.EmulatorConfig(queued_seconds=args.queued_seconds, dreaming_seconds=args.dreaming_seconds)
        emulator.serve(config, host=args.host, port=args.port)
        return
    if args.command == "demo":
        from .demo import run_demo

        sys.exit(run_demo(args.output_dir))
    try:
        settings = Settings.from_env(os.environ)
    except ConfigurationError as exc:
        sys.exit(f"luma-mcp: {exc}")
    run_server(settings, transport=args.transport, host=args.host, port=args.port)


def run_server(settings: Settings, *, transport: str, host: str, port: int) -> None:
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server = build_server(settings)
    if transport == "stdio":
        serve = functools.partial(_serve_stdio, server)
    else:
        http_transport: HttpTransport = "sse" if transport == "sse" else "streamable-http"
        try:
            check_exposure(host, settings)
        except ConfigurationError as exc:
            sys.exit(f"luma-mcp: {exc}")
        serve = functools.partial(serve_http, server, http_transport, host=host, port=port, settings=settings)
    try:
        anyio.run(serve)
    except KeyboardInterrupt:  # before serving began; or uvicorn, done, raising the Ctrl-C it caught once more
        sys.exit(INTERRUPTED)


async def _serve_stdio(server: MCPServer[Any]) -> None:
    """Serve MCP on stdin/stdout until stdin closes, or until SIGINT or SIGTERM ends the process.

    On a signal the tool calls in progress are cancelled and the server's parts closed, then the process leaves at
    once: the SDK reads stdin in a worker thread that no cancellation reaches, and waiting for it would take another
    line of input (in a terminal, two more Ctrl-Cs).
    """
    received: list[int] = []
    stop = anyio.Event()
    async with anyio.create_task_group() as tasks:
        serving = anyio.CancelScope()

        async def serve() -> None:
            with serving:
                await server.run_stdio_async()
            stop.set()

        async def watch_signals(*, task_status: TaskStatus[None]) -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                task_status.started()
                async for signum in signals:
                    received.append(signum)
                    stop.set()
                    return

        await tasks.start(watch_signals)
        if sys.stdin.isatty():
            print(TERMINAL_HINT, file=sys.stderr, flush=True)
        async with held_open(server):
            tasks.start_soon(serve)
            await stop.wait()
            serving.cancel()
        if received:
            sys.stderr.flush()
            os._exit(128 + received[0])
        tasks.cancel_scope.cancel()

"""The `luma-mcp` command: parse flags, read the environment once, and hand plain values to the server."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Sequence

import anyio

from . import __version__
from .errors import ConfigurationError
from .http_app import HttpTransport, check_exposure, serve_http
from .settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="luma-mcp",
        description="MCP server for Luma Dream Machine. With no command it serves MCP (stdio by default).",
        epilog="Configuration comes from the environment: LUMA_API_KEY, LUMA_BASE_URL, LUMA_MCP_OUTPUT_DIR, "
        "LUMA_MCP_MAX_WAIT, LUMA_MCP_LOG_LEVEL.",
    )
    parser.add_argument("--version", action="version", version=f"luma-mcp {__version__}")
    parser.add_argument(
        "--transport", choices=("stdio", "streamable-http", "sse"), default="stdio", help="default: stdio"
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP transports: address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP transports: port (default 8000)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    emulator = commands.add_parser("emulator", help="run the offline Luma API emulator alone")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8787)
    emulator.add_argument("--queued-seconds", type=float, default=0.5)
    emulator.add_argument("--dreaming-seconds", type=float, default=3.0)
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
    from .server import build_server

    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server = build_server(settings)
    if transport == "stdio":
        server.run("stdio")
        return
    http_transport: HttpTransport = "sse" if transport == "sse" else "streamable-http"
    try:
        check_exposure(host, settings)
    except ConfigurationError as exc:
        sys.exit(f"luma-mcp: {exc}")
    anyio.run(functools.partial(serve_http, server, http_transport, host=host, port=port, settings=settings))

"""Reproduce, at full scale, the abuse the HTTP transports are built to withstand, and print a table of figures.

    python bench/attacks.py          # every attack; `python bench/attacks.py 3 5` runs attacks 3 and 5 only

Each attack runs against a real `python -m luma_mcp --transport streamable-http` process talking to the emulator
in this process, on loopback. Speed and size are given as ratios to a baseline measured in the same run: the same
measurement without the attack, or the server's RSS (from /proc) before it. Every loop is bounded in count and in
time; the whole run takes about five minutes on a 2-core machine. Linux only.

Two runs change the server's surroundings, never its code: one lowers its RLIMIT_NOFILE (as `ulimit -n` would), and
one fixes the kernel's send buffer of its connections at 4 kB through a `sitecustomize` module on its PYTHONPATH,
because on loopback the kernel would otherwise buffer megabytes for a client that stopped reading.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import secrets
import selectors
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import anyio
import httpx
import httpx2
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from luma_mcp.emulator import Emulator, EmulatorConfig, Fault, run_emulator
from luma_mcp.subscriptions import SEND_TIMEOUT, generation_uri

ROOT = Path(__file__).resolve().parent.parent
"""The server runs from the checkout this file is in (`python -m` puts the working directory first on the path)."""

PROTOCOL_2025 = "2025-11-25"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": PROTOCOL_2025, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
HALF_A_REQUEST_LINE = b"POST /mcp HT"

STALL_KEYS = 50
"""Accounts the creates of attack 1 rotate over: the server queues creates past 20 a minute per account."""
STALL_CREATES = 1000
SLOW_CALL = 5.0
SMALL_SEND_BUFFER = 4096
NOTIFICATION_BYTES = 131
"""One `notifications/resources/updated` for luma://generations on the event stream, with its SSE and chunk framing."""
MADE_UP_KEYS = 200
MADE_UP_AT_ONCE = 40
REAL_KEY_CALLS = 50
CREATE_DELAY = 15.0
"""How long the emulator holds the real user's create in attack 2, so the flood happens while it is in flight."""
SLOW_CONNECTIONS = 600
SMALL_FD_LIMIT = 256
PROBE_EVERY = 0.5
SUSTAINED_SECONDS = 25.0
ABANDONED_SESSIONS = 10_000
SESSIONS_PER_ROUND = 2000
SESSION_IDLE = 10.0
"""Longer than the openers take to fill the session cap, so a new client meets a full server."""
OPENERS_AT_ONCE = 16
LISTEN_IDS = 3000
SUBSCRIBE_PAIRS = 100_000
SUBSCRIBE_SECONDS = 60.0
SUBSCRIBERS_AT_ONCE = 4

Row = tuple[str, str, str]  # attack, measure, figure
QUIET = {"LUMA_MCP_LOG_LEVEL": "WARNING"}

SEND_BUFFER_HOOK = """\
import asyncio.base_events
import socket

_create_server = asyncio.base_events.BaseEventLoop.create_server


async def create_server(self, *args, **kwargs):
    server = await _create_server(self, *args, **kwargs)
    for listener in server.sockets:  # accepted connections inherit the listener's buffer size
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, {send_buffer})
    return server


asyncio.base_events.BaseEventLoop.create_server = create_server
"""
"""A `sitecustomize` module for the server process: loopback connections otherwise get send buffers of megabytes,
which hold some 30,000 notifications before a subscriber that stopped reading is noticed at all."""


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def cpu_seconds(self) -> float:
        """User and system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_bytes(self) -> int:
        return self.log.stat().st_size

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.asynccontextmanager
async def luma_server(
    emulator: Emulator,
    workdir: Path,
    name: str,
    *,
    file_limit: int | None = None,
    send_buffer: int | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[ServerProcess]:
    """`python -m luma_mcp --transport streamable-http` on a free port, its stderr in `workdir/name.log`.

    `file_limit` sets its RLIMIT_NOFILE; `send_buffer` fixes the kernel's send buffer of every connection it
    accepts, so a client that stops reading fills it in kilobytes rather than megabytes."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "LUMA_API_KEY": emulator.api_key,
        "LUMA_BASE_URL": emulator.base_url,
        "LUMA_MCP_OUTPUT_DIR": str(workdir / "videos"),
        "LUMA_MCP_STATE_DIR": str(workdir / "state"),
        **(env or {}),
    }
    if send_buffer is not None:
        site = workdir / f"send-buffer-{send_buffer}"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(SEND_BUFFER_HOOK.format(send_buffer=send_buffer))
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), environment.get("PYTHONPATH")]))
    environment = {key: value for key, value in environment.items() if value}  # "" leaves a variable out

    def limit_files() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (file_limit, file_limit))

    log = workdir / f"{name}.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "luma_mcp", "--transport", "streamable-http", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=errors,
            stderr=errors,
            preexec_fn=limit_files,
        )
    try:
        with anyio.fail_after(30):
            while True:
                try:
                    await (await anyio.connect_tcp("127.0.0.1", port)).aclose()
                    break
                except OSError:
                    if process.poll() is not None:
                        raise RuntimeError(f"the server exited: {log.read_text()}") from None
                    await anyio.sleep(0.1)
        yield ServerProcess(process, f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        try:
            await anyio.to_thread.run_sync(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()
            await anyio.to_thread.run_sync(process.wait, 5)


@contextlib.asynccontextmanager
async def mcp_client(url: str, api_key: str | None = None) -> AsyncIterator[Client]:
    """A 2026-era client (no session), acting with `api_key` when given."""
    headers = {"X-Luma-Api-Key": api_key} if api_key else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=60.0)) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            yield client


async def open_2025_session(http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Initialize a 2025-era session; returns the headers its later requests carry."""
    opened = await http.post("/mcp", json=INITIALIZE, headers=headers)
    opened.raise_for_status()
    session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "Mcp-Protocol-Version": PROTOCOL_2025}
    await http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
    return session


def request(number: int, method: str, **params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": number, "method": method, "params": params}


def quantile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latencies(samples: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples) * 1000:.0f} ms, p95 {quantile(samples, 0.95) * 1000:.0f} ms, "
        f"max {max(samples) * 1000:.0f} ms (n={len(samples)})"
    )


def ratio(attacked: float, baseline: float) -> str:
    return f"x{attacked / baseline:.2f}"


async def timed(call: Callable[[], Awaitable[Any]], limit: float) -> tuple[float, Any]:
    """Seconds `call` took (at most `limit`) and what it returned, or the exception it raised."""
    began = time.perf_counter()
    outcome: Any = TimeoutError(f"no answer in {limit:.0f} s")
    with anyio.move_on_after(limit):
        try:
            outcome = await call()
        except Exception as exc:  # a refusal is a figure here, not a failure of the bench
            outcome = exc
    return time.perf_counter() - began, outcome


# 1. A 2025-era subscriber that stops reading its event stream, while someone else creates a thousand videos.


async def create_many(url: str, keys: tuple[str, ...], count: int) -> list[float]:
    """`count` creates (no waiting for the video), rotating over `keys`; the latency of each."""
    samples: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(mcp_client(url, key)) for key in keys]
        for number in range(count):
            create = partial(
                clients[number % len(clients)].call_tool,
                "create_generation",
                {"prompt": f"video number {number}", "wait": False},
            )
            seconds, result = await timed(create, 30)
            if isinstance(result, Exception) or result.is_error:
                raise RuntimeError(f"create {number} failed: {result!r}")
            samples.append(seconds)
    return samples


def stalled_event_stream(url: str, session: dict[str, str]) -> socket.socket:
    """Open the session's GET event stream on a socket with a tiny receive buffer, and never read from it."""
    host, port = url.removeprefix("http://").split(":")
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stalled.connect((host, int(port)))
    stalled.sendall(
        f"GET /mcp HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Mcp-Session-Id: {session['Mcp-Session-Id']}\r\nMcp-Protocol-Version: {PROTOCOL_2025}\r\n\r\n".encode()
    )
    return stalled


async def creates_beside_a_stalled_subscriber(
    emulator: Emulator, workdir: Path, keys: tuple[str, ...], *, stalled: bool, send_buffer: int | None
) -> tuple[list[float], tuple[float, float] | None]:
    """Create latencies; and when the server dropped the stalled subscriber and how long the creates took, both in
    seconds from the first create."""
    name = f"stall-{stalled}-{send_buffer}"
    settings = {"LUMA_MCP_MAX_WAIT": "5", "LUMA_MCP_LOG_LEVEL": "WARNING"}
    async with luma_server(emulator, workdir, name, send_buffer=send_buffer, env=settings) as server:
        # One session subscribes for every account, which also opens every account in the server; without the
        # stalled subscriber it unsubscribes again, so both runs time creates on accounts already open.
        async with httpx.AsyncClient(base_url=server.url, headers=ACCEPT, timeout=30) as http:
            session = await open_2025_session(http)
            ids = itertools.count(2)
            for method in ("resources/subscribe",) if stalled else ("resources/subscribe", "resources/unsubscribe"):
                for key in keys:
                    message = request(next(ids), method, uri="luma://generations")
                    answer = await http.post("/mcp", json=message, headers={**session, "X-Luma-Api-Key": key})
                    answer.raise_for_status()
        if not stalled:
            return await create_many(server.url, keys, STALL_CREATES), None
        with stalled_event_stream(server.url, session):
            began = time.monotonic()
            dropped: list[float] = []

            async def watch_log() -> None:
                while "stopped reading" not in server.log_text():
                    await anyio.sleep(0.1)
                dropped.append(time.monotonic() - began)

            async with anyio.create_task_group() as group:
                group.start_soon(watch_log)
                samples = await create_many(server.url, keys, STALL_CREATES)
                creates_took = time.monotonic() - began
                with anyio.move_on_after(SEND_TIMEOUT + 5):
                    while not dropped:
                        await anyio.sleep(0.1)
                group.cancel_scope.cancel()
    return samples, (dropped[0], creates_took) if dropped else None


async def stalled_subscriber(workdir: Path) -> list[Row]:
    keys = tuple(f"luma-bench-key-{number:02}" for number in range(STALL_KEYS))
    config = EmulatorConfig(api_keys=keys, queued_seconds=0.05, dreaming_seconds=0.3)
    rows: list[Row] = []
    async with run_emulator(config) as emulator:
        for send_buffer in (None, SMALL_SEND_BUFFER):
            baseline, _ = await creates_beside_a_stalled_subscriber(
                emulator, workdir, keys, stalled=False, send_buffer=send_buffer
            )
            attacked, dropped = await creates_beside_a_stalled_subscriber(
                emulator, workdir, keys, stalled=True, send_buffer=send_buffer
            )
            buffers = "kernel's own send buffers" if send_buffer is None else f"{send_buffer} B send buffers"
            attack = f"1. stalled 2025 subscriber, {STALL_CREATES} creates over {STALL_KEYS} accounts, {buffers}"
            slow = sum(seconds > SLOW_CALL for seconds in baseline + attacked)
            rows += [
                (attack, "create latency, nobody subscribed", latencies(baseline)),
                (attack, "create latency, a subscriber stalled", latencies(attacked)),
                (
                    attack,
                    "p50 / p95 / max, stalled vs nobody",
                    " / ".join(ratio(quantile(attacked, q), quantile(baseline, q)) for q in (0.5, 0.95, 1.0)),
                ),
                (attack, f"calls over {SLOW_CALL:g} s", f"{slow} of {len(baseline) + len(attacked)}"),
                (
                    attack,
                    "server dropped the stalled subscriber",
                    f"yes, {dropped[0]:.1f} s after the creates began (they took {dropped[1]:.1f} s; a stalled "
                    f"send gets {SEND_TIMEOUT:g} s)"
                    if dropped is not None
                    else f"no: its ~{STALL_CREATES * NOTIFICATION_BYTES // 1000} kB of notifications fit in the "
                    "kernel's buffers, so it never stalled",
                ),
            ]
    return rows


# 2. A real user's create in flight while 200 made-up keys hit the server.


async def made_up_keys(workdir: Path) -> list[Row]:
    real_key = "luma-bench-real-user"
    no_operator_key = {"LUMA_API_KEY": "", "LUMA_MCP_MAX_WAIT": "20"}  # every caller brings a key
    async with run_emulator(EmulatorConfig(api_keys=(real_key,))) as emulator:
        async with luma_server(emulator, workdir, "made-up-keys", env=no_operator_key) as server:

            async def real_create() -> tuple[float, Any]:
                emulator.inject(Fault(method="POST", path="/generations/video", delay=CREATE_DELAY, status=None))
                async with mcp_client(server.url, real_key) as client:
                    arguments = {"prompt": "the real user's video", "wait": False}
                    return await timed(partial(client.call_tool, "create_generation", arguments), 30)

            async def get_credits(key: str) -> Any:
                async with mcp_client(server.url, key) as client:
                    return await client.call_tool("get_credits", {})

            baseline, _ = await real_create()
            # What a new client asking with a real key costs the server, against what a made-up key costs it.
            cpu_before = server.cpu_seconds()
            for _ in range(REAL_KEY_CALLS):
                await get_credits(real_key)
            cpu_per_real_call = (server.cpu_seconds() - cpu_before) / REAL_KEY_CALLS
            rss_before = server.rss_mib()
            flood_errors: list[bool] = []
            outcome: dict[str, Any] = {}

            async def made_up(limit: anyio.CapacityLimiter) -> None:
                async with limit:
                    _, result = await timed(partial(get_credits, f"luma-{secrets.token_hex(16)}"), 30)
                flood_errors.append(isinstance(result, Exception) or result.is_error)

            async def real_user() -> None:
                outcome["seconds"], outcome["result"] = await real_create()
                outcome["answered"] = time.perf_counter()

            async with anyio.create_task_group() as group:
                group.start_soon(real_user)
                with anyio.fail_after(10):
                    while len(emulator.requests_for("POST", "/generations/video")) < 2:
                        await anyio.sleep(0.01)
                flood_began, cpu_before = time.perf_counter(), server.cpu_seconds()
                with anyio.fail_after(60):
                    async with anyio.create_task_group() as flood:
                        limit = anyio.CapacityLimiter(MADE_UP_AT_ONCE)
                        for _ in range(MADE_UP_KEYS):
                            flood.start_soon(made_up, limit)
                flood_ended = time.perf_counter()
                cpu_per_made_up_call = (server.cpu_seconds() - cpu_before) / MADE_UP_KEYS
            rss_after = server.rss_mib()
    result = outcome["result"]
    succeeded = not isinstance(result, Exception) and not result.is_error and result.structured_content is not None
    margin = outcome["answered"] - flood_ended
    attack = f"2. {MADE_UP_KEYS} made-up keys ({MADE_UP_AT_ONCE} at a time) while a create is in flight"
    return [
        (
            attack,
            "real user's create",
            f"{'succeeded' if succeeded else f'FAILED: {result!r}'[:120]}; "
            f"{len(emulator.requests_for('POST', '/generations/video')) - 1} create reached Luma",
        ),
        (
            attack,
            f"create latency vs baseline (Luma holds it {CREATE_DELAY:g} s)",
            f"{outcome['seconds'] * 1000:.0f} ms vs {baseline * 1000:.0f} ms, {ratio(outcome['seconds'], baseline)}",
        ),
        (
            attack,
            "the flood",
            f"{len(flood_errors)} calls in {flood_ended - flood_began:.1f} s, {sum(flood_errors)} of them refused; "
            + (
                f"it ended {margin:.1f} s before the create answered"
                if margin >= 0
                else f"it outlasted the create by {-margin:.1f} s"
            ),
        ),
        (
            attack,
            "server CPU per call, made-up key vs real key (new client each)",
            f"{cpu_per_made_up_call * 1000:.0f} ms vs {cpu_per_real_call * 1000:.0f} ms, "
            f"{ratio(cpu_per_made_up_call, cpu_per_real_call)}",
        ),
        (
            attack,
            "server RSS after vs before the flood",
            f"{ratio(rss_after, rss_before)} ({rss_before:.0f} MiB before)",
        ),
    ]


# 3. Six hundred connections that send half a request line and hold.


def half_sent_request(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    connection.sendall(HALF_A_REQUEST_LINE)
    connection.setblocking(False)
    return connection


@dataclass
class Closing:
    closed: int = 0
    answered: int = 0
    """Connections that got bytes back before closing (none should: the server just closes them)."""
    last_closed: float = 0.0
    """Seconds from the first connection opened to the last one the server closed."""
    reopened: int = 0


def hold_half_sent(url: str, count: int, *, refill_for: float, limit: float) -> Closing:
    """Open `count` half-sent requests and watch the server close them. For the first `refill_for` seconds each
    one closed is replaced at once (an attacker keeping up the pressure); after that, wait until the server has
    closed them all or `limit` seconds have passed since the start, then close what is left."""
    figures = Closing()
    began = time.monotonic()
    with selectors.DefaultSelector() as selector:
        try:
            for _ in range(count):
                selector.register(half_sent_request(url), selectors.EVENT_READ)
            while selector.get_map() and time.monotonic() - began < limit:
                if refill_for and time.monotonic() - began >= refill_for:
                    break
                for key, _ in selector.select(timeout=0.5):
                    connection = key.fileobj
                    assert isinstance(connection, socket.socket)
                    try:
                        data = connection.recv(4096)
                    except ConnectionResetError:
                        data = b""
                    except BlockingIOError:
                        continue
                    if data:
                        figures.answered += 1
                        continue
                    selector.unregister(connection)
                    connection.close()
                    figures.closed += 1
                    figures.last_closed = time.monotonic() - began
                    if time.monotonic() - began < refill_for:
                        selector.register(half_sent_request(url), selectors.EVENT_READ)
                        figures.reopened += 1
        finally:
            for key in list(selector.get_map().values()):
                selector.unregister(key.fileobj)
                key.fileobj.close()  # type: ignore[union-attr]
    return figures


async def legit_probe(url: str) -> tuple[float, int | str]:
    """A new client on a new connection opening a session: how long, and the HTTP status or what went wrong.
    The session is closed again, so probing takes nothing from the session limit."""

    async def initialize() -> int:
        async with httpx.AsyncClient(base_url=url, headers=ACCEPT, timeout=15) as http:
            answer = await http.post("/mcp", json=INITIALIZE)
            if "mcp-session-id" in answer.headers:
                await http.delete("/mcp", headers={"Mcp-Session-Id": answer.headers["mcp-session-id"]})
            return answer.status_code

    seconds, outcome = await timed(initialize, 15)
    return seconds, outcome if isinstance(outcome, int) else type(outcome).__name__


async def slow_headers(
    workdir: Path, emulator: Emulator, *, file_limit: int | None = None, refill_for: float = 0.0
) -> list[Row]:
    name = f"slow-headers-{file_limit}-{refill_for:g}"
    async with luma_server(emulator, workdir, name, file_limit=file_limit, env=QUIET) as server:
        baseline = [(await legit_probe(server.url))[0] for _ in range(10)]
        log_before, rss_before = server.log_bytes(), server.rss_mib()
        began = time.monotonic()
        probes: list[tuple[float, float, int | str]] = []  # (since the attack began, seconds, status)
        closing: list[Closing] = []

        async def attack() -> None:
            closing.append(
                await anyio.to_thread.run_sync(
                    partial(hold_half_sent, server.url, SLOW_CONNECTIONS, refill_for=refill_for, limit=90)
                )
            )

        async with anyio.create_task_group() as group:
            group.start_soon(attack)
            await anyio.sleep(1)  # the connections are open
            while not closing and time.monotonic() - began < 90:
                at = time.monotonic() - began
                seconds, status = await legit_probe(server.url)
                probes.append((at, seconds, status))
                await anyio.sleep(PROBE_EVERY)
        await anyio.sleep(1)
        after = [(await legit_probe(server.url))[0] for _ in range(10)]
        logged = server.log_bytes() - log_before
        rss_after = server.rss_mib()
    figures = closing[0]
    got_in = [(at, seconds) for at, seconds, status in probes if status == 200]
    refused = Counter(str(status) for _, _, status in probes if status != 200)
    if refill_for:
        attack_name = f"3. {SLOW_CONNECTIONS} half-sent requests, each replaced when closed, for {refill_for:g} s"
        closed = f"{figures.closed} closed and replaced; {figures.answered} got bytes back"
    else:
        limit = "default limits" if file_limit is None else f"ulimit -n {file_limit}"
        attack_name = f"3. {SLOW_CONNECTIONS} half-sent requests, once, {limit}"
        closed = (
            f"{figures.closed}/{SLOW_CONNECTIONS}, the last {figures.last_closed:.1f} s after they were opened; "
            f"{figures.answered} got bytes back"
        )
    first = f", first at {got_in[0][0]:.1f} s" if got_in else ""
    return [
        (attack_name, "closed by the server", closed),
        (
            attack_name,
            f"new clients during the attack (one every ~{PROBE_EVERY:g} s)",
            f"{len(got_in)}/{len(probes)} got in{first}; refused: "
            + (", ".join(f"{number} x {status}" for status, number in sorted(refused.items())) or "none"),
        ),
        (
            attack_name,
            "new-client latency in the attack vs before (p50)",
            (
                f"{statistics.median(s for _, s in got_in) * 1000:.0f} ms vs "
                f"{statistics.median(baseline) * 1000:.0f} ms, "
                f"{ratio(statistics.median(s for _, s in got_in), statistics.median(baseline))}"
                if got_in
                else "none got in"
            ),
        ),
        (
            attack_name,
            "new-client latency after the attack vs before (p50)",
            ratio(statistics.median(after), statistics.median(baseline)),
        ),
        (
            attack_name,
            "stderr written (WARNING level); RSS after vs before",
            f"{logged} bytes; {ratio(rss_after, rss_before)}",
        ),
    ]


# 4. Thousands of 2025-era sessions opened and abandoned.


async def abandoned_sessions(workdir: Path, emulator: Emulator) -> list[Row]:
    """Open sessions as fast as `OPENERS_AT_ONCE` clients can, never closing them, in rounds; a new client tries
    to get in once the session limit is reached, and again after the openers stop."""
    settings = {"LUMA_MCP_MAX_WAIT": "2", "LUMA_MCP_HTTP_SESSION_IDLE_TIMEOUT": f"{SESSION_IDLE:g}"}
    async with luma_server(emulator, workdir, "abandoned-sessions", env=settings) as server:
        limits = httpx.Limits(max_connections=OPENERS_AT_ONCE, max_keepalive_connections=OPENERS_AT_ONCE)
        async with httpx.AsyncClient(base_url=server.url, headers=ACCEPT, timeout=30, limits=limits) as http:
            statuses: list[int] = []

            async def open_session() -> int:
                return (await http.post("/mcp", json=INITIALIZE)).status_code

            async def opener(attempts: Iterator[int]) -> None:
                for _ in attempts:  # shared by the openers: each attempt is taken once
                    statuses.append(await open_session())

            await open_session()
            rss_before, log_before = server.rss_mib(), server.log_bytes()
            rss_peak = rss_before
            rss_by_round: list[float] = []
            during: list[int | str] = []
            began = time.monotonic()
            with anyio.fail_after(180):
                for target in range(SESSIONS_PER_ROUND, ABANDONED_SESSIONS + 1, SESSIONS_PER_ROUND):
                    attempts = iter(range(SESSIONS_PER_ROUND))
                    async with anyio.create_task_group() as group:
                        for _ in range(OPENERS_AT_ONCE):
                            group.start_soon(opener, attempts)
                        while len(statuses) < target:
                            if 503 in statuses[-OPENERS_AT_ONCE:] and not during:
                                during.append((await legit_probe(server.url))[1])
                            rss_peak = max(rss_peak, server.rss_mib())
                            await anyio.sleep(0.1)
                    rss_by_round.append(server.rss_mib())
            opened_in = time.monotonic() - began
            stopped = time.monotonic()
            after: int | str = 0
            with anyio.move_on_after(SESSION_IDLE * 4):
                while after != 200:
                    after = (await legit_probe(server.url))[1]
                    if after != 200:
                        await anyio.sleep(0.25)
            admitted_after = time.monotonic() - stopped
        await anyio.sleep(SESSION_IDLE + 1)  # every session the openers left has expired
        rss_after, logged = server.rss_mib(), server.log_bytes() - log_before
        refusals_logged = server.log_text().count("Refusing to open a new session")
    first_refusal = next((index for index, status in enumerate(statuses) if status == 503), None)
    attack = f"4. {len(statuses)} abandoned sessions (idle timeout {SESSION_IDLE:g} s, default cap of 1000)"
    return [
        (
            attack,
            "initialize answers",
            f"{statuses.count(200)} x 200, {statuses.count(503)} x 503 in {opened_in:.1f} s"
            + (f"; first 503 at attempt {first_refusal + 1}" if first_refusal is not None else ""),
        ),
        (
            attack,
            "new client: while the cap is full / after the openers stop",
            f"{during[0] if during else 'cap never reached'} / {after}, {admitted_after:.1f} s after they stopped",
        ),
        (
            attack,
            "RSS peak / after expiry vs before",
            f"{ratio(rss_peak, rss_before)} / {ratio(rss_after, rss_before)} ({rss_before:.0f} MiB before)",
        ),
        (
            attack,
            f"RSS after each round of {SESSIONS_PER_ROUND} vs the first",
            " ".join(ratio(rss, rss_by_round[0]) for rss in rss_by_round),
        ),
        (attack, "stderr written (INFO level)", f"{logged} bytes, {refusals_logged} lines of them refusals"),
    ]


# 5. One subscriptions/listen naming three thousand generations.


async def huge_listen(server: ServerProcess, emulator: Emulator) -> list[Row]:
    uris = [generation_uri(str(uuid.uuid4())) for _ in range(LISTEN_IDS)]
    async with mcp_client(server.url) as client:
        await client.list_tools()
        emulator.clear_requests()

        async def listen() -> None:
            async with client.listen(resource_subscriptions=uris):
                pass

        seconds, outcome = await timed(listen, 30)
        await anyio.sleep(2)  # time for any poll it set off to reach Luma
    refused = isinstance(outcome, MCPError)
    attack = f"5. one listen naming {LISTEN_IDS} ids"
    return [
        (
            attack,
            "answer",
            f"{'refused' if refused else 'NOT refused'} in {seconds * 1000:.0f} ms: {str(outcome)[:90]}",
        ),
        (attack, "Luma requests it caused (within 2 s)", str(len(emulator.requests))),
    ]


# 6. Subscribe and unsubscribe, over and over, on one session.


async def subscribe_churn(server: ServerProcess, emulator: Emulator) -> list[Row]:
    async with httpx.AsyncClient(base_url=server.url, headers=ACCEPT, timeout=30) as http:
        session = await open_2025_session(http)
        first = request(2, "resources/subscribe", uri="luma://generations")
        (await http.post("/mcp", json=first, headers=session)).raise_for_status()
        rss_before = server.rss_mib()
        emulator.clear_requests()
        pairs = 0
        failures = 0
        began = time.monotonic()

        ids = itertools.count(3)  # a request id is never reused within a session

        async def churn() -> None:
            nonlocal pairs, failures
            while pairs < SUBSCRIBE_PAIRS and time.monotonic() - began < SUBSCRIBE_SECONDS:
                pairs += 1
                uri = generation_uri(str(uuid.uuid4()))
                for method in ("resources/subscribe", "resources/unsubscribe"):
                    answer = await http.post("/mcp", json=request(next(ids), method, uri=uri), headers=session)
                    failures += answer.status_code != 200 or b'"error"' in answer.content

        async with anyio.create_task_group() as group:
            for _ in range(SUBSCRIBERS_AT_ONCE):
                group.start_soon(churn)
        seconds = time.monotonic() - began
        rss_after = server.rss_mib()
        await anyio.sleep(3)
        rss_settled = server.rss_mib()
        polls = len(emulator.requests)
    attack = "6. subscribe/unsubscribe pairs on one session"
    return [
        (
            attack,
            "pairs sent",
            f"{pairs} in {seconds:.0f} s ({pairs / seconds:.0f}/s; capped at {SUBSCRIBE_PAIRS} or "
            f"{SUBSCRIBE_SECONDS:.0f} s), {failures} errors",
        ),
        (
            attack,
            "RSS after / 3 s later vs before",
            f"{ratio(rss_after, rss_before)} / {ratio(rss_settled, rss_before)} ({rss_before:.0f} MiB before)",
        ),
        (attack, "Luma requests it caused", str(polls)),
    ]


async def main(chosen: set[str]) -> None:
    """Run every attack, or those whose numbers are given on the command line."""
    began = time.monotonic()
    rows: list[Row] = []
    with TemporaryDirectory() as directory:
        workdir = Path(directory)
        if not chosen or "1" in chosen:
            rows += await stalled_subscriber(workdir)
        if not chosen or "2" in chosen:
            rows += await made_up_keys(workdir)
        async with run_emulator() as emulator:
            if not chosen or "3" in chosen:
                rows += await slow_headers(workdir, emulator)
                rows += await slow_headers(workdir, emulator, file_limit=SMALL_FD_LIMIT)
                rows += await slow_headers(workdir, emulator, refill_for=SUSTAINED_SECONDS)
            if not chosen or "4" in chosen:
                rows += await abandoned_sessions(workdir, emulator)
            if not chosen or {"5", "6"} & chosen:
                async with luma_server(emulator, workdir, "subscriptions", env=QUIET) as server:
                    if not chosen or "5" in chosen:
                        rows += await huge_listen(server, emulator)
                    if not chosen or "6" in chosen:
                        rows += await subscribe_churn(server, emulator)
    wall = time.monotonic() - began
    print(f"luma-mcp attacks on a streamable-http server process, emulator on loopback (wall time {wall:.0f} s)")
    width = max(len(measure) for _, measure, _ in rows)
    shown = None
    for attack, measure, figure in rows:
        if attack != shown:
            print(attack)
            shown = attack
        print(f"    {measure:<{width}}  {figure}")


if __name__ == "__main__":
    anyio.run(main, set(sys.argv[1:]))

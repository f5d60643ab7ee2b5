"""The outermost layer of the API: it logs every request and applies injected faults before or after the real work.

Asset downloads and the Agents API's presigned uploads and downloads pass straight through: they are the CDN's and
S3's business, not the API's.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from luma_mcp.emulator.auth import bearer_token
from luma_mcp.emulator.faults import Fault, FaultQueue
from luma_mcp.emulator.paths import UNLOGGED_PREFIXES, api_path
from luma_mcp.emulator.recording import RecordedRequest

DROPPED_STATUS = 0
"""Logged as the status of a request that got no complete answer."""
_PROMISED_LENGTH = b"1024"
"""The Content-Length a dropped response claims; only a fragment of it is ever sent."""
_INCOMPLETE_RESPONSE_LOG = "ASGI callable returned without completing response."
_PADDING_CHUNK = 64 * 1024


class DroppedResponseFilter(logging.Filter):
    """Silences uvicorn's complaint about the responses this middleware cuts short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _INCOMPLETE_RESPONSE_LOG


class RequestInterceptor:
    """ASGI middleware that appends each API request to ``log`` and answers it with the next matching fault."""

    def __init__(self, app: ASGIApp, *, faults: FaultQueue, log: list[RecordedRequest]) -> None:
        self._app = app
        self._faults = faults
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or api_path(scope["path"]).startswith(UNLOGGED_PREFIXES):
            await self._app(scope, receive, send)
            return
        arrived, path = time.monotonic(), api_path(scope["path"])
        body = await _read_body(receive)
        entry = RecordedRequest(
            method=scope["method"],
            path=path,
            query=dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)),
            body=_parse_json(body),
            api_key=bearer_token(Headers(scope=scope).get("authorization")),
            status=DROPPED_STATUS,
            at=arrived,
        )
        self._log.append(entry)
        replayed = _replay(body, receive)
        fault = self._faults.take(entry.method, entry.path)
        if fault is None:
            status = await _forward(self._app, scope, replayed, send)
        else:
            status = await self._answer_with_fault(fault, scope, replayed, receive, send)
        self._settle(entry, status)

    async def _answer_with_fault(
        self, fault: Fault, scope: Scope, replayed: Receive, receive: Receive, send: Send
    ) -> int:
        if fault.after_processing:
            await self._app(scope, replayed, _discard)
        if fault.delay and await _client_left_within(fault.delay, receive):
            return DROPPED_STATUS
        if fault.drop:
            await _send_truncated_response(send)
            return DROPPED_STATUS
        if fault.status is None:
            return await _forward(self._app, scope, replayed, send)
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        body = fault.body if fault.body is not None else {"detail": fault.detail or HTTPStatus(fault.status).phrase}
        if fault.padding:
            whole = await _send_padded(body, fault.padding, fault.status, headers, receive, send)
            return fault.status if whole else DROPPED_STATUS
        await JSONResponse(body, status_code=fault.status, headers=headers)(scope, receive, send)
        return fault.status

    def _settle(self, entry: RecordedRequest, status: int) -> None:
        """Write the answered status into the log entry, unless a test cleared the log meanwhile."""
        for index in range(len(self._log) - 1, -1, -1):
            if self._log[index] is entry:
                self._log[index] = replace(entry, status=status)
                return


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then reports the client's disconnect as usual."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _forward(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> int:
    status = DROPPED_STATUS

    async def send_noting_status(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    await app(scope, receive, send_noting_status)
    return status


async def _discard(message: Message) -> None:
    """The ``send`` of a request whose real answer is replaced by a fault."""


async def _client_left_within(seconds: float, receive: Receive) -> bool:
    """Wait ``seconds``, or less if the client hangs up first (a timed-out client); say whether it did."""
    with anyio.move_on_after(seconds):
        while (await receive())["type"] != "http.disconnect":
            pass
        return True
    return False


async def _send_padded(
    body: Any, padding: int, status: int, headers: dict[str, str], receive: Receive, send: Send
) -> bool:
    """Stream ``padding`` bytes of whitespace, then ``body`` as JSON; say whether all of it went out.

    Uvicorn holds ``send`` back while the client is not reading, so a client that stops reading and hangs up is
    seen here as a disconnect long before the end.
    """
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    client_left = anyio.Event()

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        client_left.set()

    async with anyio.create_task_group() as watching:
        watching.start_soon(watch)
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        for offset in range(0, padding, _PADDING_CHUNK):
            if client_left.is_set():
                break
            chunk = b" " * min(_PADDING_CHUNK, padding - offset)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await anyio.sleep(0)  # let the watcher see a hang-up between chunks
        else:
            await send({"type": "http.response.body", "body": json.dumps(body).encode(), "more_body": False})
        whole = not client_left.is_set()
        watching.cancel_scope.cancel()
    return whole


async def _send_truncated_response(send: Send) -> None:
    """Promise a body and stop after a fragment; the server then closes the connection mid-response.

    The client sees the connection end before the message does, which httpx reports as a RemoteProtocolError.
    """
    headers = [(b"content-type", b"application/json"), (b"content-length", _PROMISED_LENGTH)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})

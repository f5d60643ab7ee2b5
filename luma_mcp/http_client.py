"""`LumaHTTP`: one pooled HTTPS connection to one Luma API for one key, the one place that knows httpx.

Every request keeps within its own cap and the current call's time left (see `luma_mcp.timing`). Reads are retried
on connection errors, 408, 409, 429 and 5xx; a request that is not idempotent (a paid create) is only retried when
the failure proves it never left (no connection could be made), because a repeat that did reach Luma would be a
second paid job. Answers are read up to `MAX_ANSWER_BYTES`, so a broken or hostile upstream cannot fill the memory.
The API clients above it (`client.py` for Dream Machine) know Luma's endpoints; this knows how to talk to a host.
"""

from __future__ import annotations

import json as jsonlib
import logging
import ssl
from collections.abc import AsyncIterable
from functools import cache
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx
from pydantic import TypeAdapter, ValidationError

from .errors import APIConnectionError, APIResponseError, APIStatusError, LumaError
from .errors.wording import (
    answer_not_json,
    answer_out_of_shape,
    answer_too_big,
    answer_unfinished,
    cannot_connect,
    connection_broke,
    no_answer_in_time,
    no_api_key,
    not_sent,
    request_failed,
    status_error,
    undecodable_answer,
)
from .retries import RETRYABLE_STATUSES, RetryPolicy, leaves_create_unknown, retry_after_seconds
from .timing import TimePolicy, time_left
from .version import __version__

logger = logging.getLogger(__name__)

# The biggest answer Luma could honestly give is a page of 100 generations whose prompts are all 5000 emoji sent as
# JSON escapes, about 6 MB (a typical page is under 100 KB). A bigger one is not read on, so a broken or hostile
# upstream cannot fill the memory, or the protocol stream with an echo of itself.
MAX_ANSWER_BYTES = 8 * 1024**2
# Below this much time left in a call, a request is not worth sending: it could only time out.
MIN_REQUEST_SECONDS = 0.25
T = TypeVar("T")


class OverLumaHTTP:
    """The life of an API client that talks through one `LumaHTTP`: it closes with it, and its key is proven when
    Luma has answered it once."""

    _http: LumaHTTP

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    @property
    def key_accepted(self) -> bool:
        return self._http.key_accepted


class LumaHTTP:
    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        timing: TimePolicy,
        retry: RetryPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
        api: str = "dream-machine",
    ) -> None:
        self._api_key = api_key
        self._api = api
        self.timing = timing
        self.retry = retry
        self.key_accepted = False
        """True once Luma has answered any request with success, which proves the key is real."""
        headers = {"Accept": "application/json", "User-Agent": f"luma-mcp/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, transport=transport, verify=shared_tls_context()
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    async def get(
        self,
        path: str,
        shape: type[T] | TypeAdapter[T],
        *,
        params: dict[str, Any] | None = None,
        poll: bool = False,
        cap: float | None = None,
        retries: int | None = None,
    ) -> T:
        """`poll`: one quick try (no retries, the poll cap), for a poller that looks again next tick anyway."""
        if poll:
            cap, retries = self.timing.poll, 0
        answer = await self.request(
            "GET",
            path,
            params=params,
            cap=self.timing.read if cap is None else cap,
            retries=self.retry.retries if retries is None else retries,
        )
        return parse(shape, answer, f"GET /{path}")

    async def request(
        self,
        method: str,
        path: str,
        *,
        cap: float,
        retries: int,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = True,
        leave: float = 0.0,
    ) -> Any:
        """One request and its retries, each try within `cap` seconds and the call's time left (keeping back
        `leave` seconds for what the caller does next); a retry that would not fit in the time left is not made."""
        if not self._api_key:
            raise no_api_key()
        retries_taken = 0
        while True:
            try:
                response, body = await self._send(
                    method, path, json=json, params=params, seconds=time_left(cap, leave=leave)
                )
            except APIConnectionError as exc:
                if retries_taken >= retries or (not idempotent and exc.may_have_reached_luma):
                    raise
                error: LumaError = exc
                delay = self.retry.backoff(retries_taken)
            else:
                if response.is_success:
                    self.key_accepted = True
                    return _json_body(body, f"{method} /{path}", response.status_code)
                retry_after = retry_after_seconds(response.headers)
                error = status_error(
                    response.status_code,
                    _json_or_none(body),
                    method=method,
                    path=f"/{path}",
                    retry_after=retry_after,
                    api=self._api,
                )
                wait = self.retry.delay(retries_taken, retry_after)
                if wait is None or not self._may_retry(response, idempotent) or retries_taken >= retries:
                    raise error
                delay = wait
            if delay + MIN_REQUEST_SECONDS > time_left(leave=leave):
                raise error
            logger.warning("%s /%s: %s; retrying in %.1f s", method, path, error, delay)
            retries_taken += 1
            await anyio.sleep(delay)

    @staticmethod
    def _may_retry(response: httpx.Response, idempotent: bool) -> bool:
        """Luma's `x-should-retry` header may forbid a retry, but never licenses repeating a paid request."""
        should_retry: str | None = response.headers.get("x-should-retry")
        if not idempotent or should_retry == "false":
            return False
        return should_retry == "true" or response.status_code in RETRYABLE_STATUSES

    async def put_presigned(self, url: str, content: AsyncIterable[bytes], *, headers: dict[str, str]) -> None:
        """Upload to a URL Luma signed (a storage host, not the API): sent once, within the call's time left, and
        without the API key, which is for Luma's API alone."""
        where = "PUT <upload URL>"
        response, body = await self._send(
            "PUT", url, where=where, content=content, headers=headers, seconds=time_left(), keyless=True
        )
        if not response.is_success:
            raise status_error(
                response.status_code, _json_or_none(body), method="PUT", path="<upload URL>", api=self._api
            )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        seconds: float,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        content: AsyncIterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
        where: str | None = None,
        keyless: bool = False,
    ) -> tuple[httpx.Response, bytes]:
        """The answer's status and headers, and its body read up to `MAX_ANSWER_BYTES`, all within `seconds` (a
        slow trickle of bytes included); httpx's exceptions are translated into ours at exactly this one place."""
        where = where or f"{method} /{path}"
        if seconds < MIN_REQUEST_SECONDS:
            raise not_sent(where)
        timeout = httpx.Timeout(seconds, connect=min(seconds, self.timing.connect))
        request = self._http.build_request(
            method, path, json=json, params=params, content=content, headers=headers, timeout=timeout
        )
        if keyless:
            request.headers.pop("Authorization", None)
        try:
            with anyio.move_on_after(seconds):
                response = await self._http.send(request, stream=True)
                try:
                    return response, await _read_capped(response, where)
                finally:
                    await response.aclose()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise cannot_connect(request.url.host, where, exc) from exc
        except httpx.TimeoutException as exc:
            raise no_answer_in_time(where, seconds, exc) from exc
        except httpx.TransportError as exc:
            raise connection_broke(where, exc) from exc
        except httpx.DecodingError as exc:
            raise undecodable_answer(where, exc) from exc
        except httpx.HTTPError as exc:
            raise request_failed(where, exc) from exc
        raise answer_unfinished(where, seconds)


def may_have_started(error: LumaError) -> bool:
    """Whether a paid request that failed with `error` may have been started by Luma all the same."""
    if isinstance(error, APIConnectionError):
        return error.may_have_reached_luma
    if isinstance(error, APIStatusError):
        return leaves_create_unknown(error.status_code)
    return isinstance(error, APIResponseError)


@cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS context for every account's client: building one costs ~20 ms of CPU, which a flood of made-up keys
    (each a new account) would otherwise make the server pay again and again."""
    return httpx.create_ssl_context()


def parse(shape: type[T] | TypeAdapter[T], body: Any, where: str) -> T:
    """Validate a 2xx body; an answer we cannot read is Luma's fault, reported as a `LumaError`."""
    adapter = shape if isinstance(shape, TypeAdapter) else TypeAdapter(shape)
    try:
        return adapter.validate_python(body)
    except ValidationError as exc:
        raise answer_out_of_shape(where, exc.error_count()) from exc


async def _read_capped(response: httpx.Response, where: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise answer_too_big(where, MAX_ANSWER_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _json_body(body: bytes, where: str, status_code: int) -> Any:
    if not body:
        return None
    try:
        return jsonlib.loads(body)
    except ValueError as exc:
        raise answer_not_json(where, status_code) from exc


def _json_or_none(body: bytes) -> Any:
    try:
        return jsonlib.loads(body)
    except ValueError:
        return None

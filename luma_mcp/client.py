"""`DreamMachineClient`: the one async HTTP client for Luma's Dream Machine API, with retries; the Dream Machine
implementation of `LumaBackend`.

Only this module knows httpx; everything above it sees `luma_mcp.backend`, `luma_mcp.models` and `luma_mcp.errors`.
"""

from __future__ import annotations

import json as jsonlib
import logging
import ssl
from collections import deque
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx
from pydantic import TypeAdapter, ValidationError

from .backend import AddAudio, Job, Upscale
from .errors import APIConnectionError, APIResponseError, APIStatusError, LumaError
from .errors.wording import (
    LostCreateSearch,
    answer_about_another,
    answer_id_not_a_uuid,
    answer_not_json,
    answer_out_of_shape,
    answer_too_big,
    answer_unfinished,
    cannot_connect,
    connection_broke,
    create_outcome_unknown,
    local_files_refused,
    no_answer_in_time,
    no_api_key,
    not_sent,
    request_failed,
    status_error,
    undecodable_answer,
)
from .models import (
    AudioRequest,
    Credits,
    Generation,
    GenerationPage,
    GenerationRequest,
    UpscaleRequest,
    is_generation_id,
)
from .retries import RETRYABLE_STATUSES, RetryPolicy, leaves_create_unknown, retry_after_seconds
from .settings import DEFAULT_BASE_URL
from .timing import TimePolicy, time_left
from .version import __version__

logger = logging.getLogger(__name__)

# Finding a create whose answer was lost: how many of the newest generations to look through, and how far our
# clock may run ahead of Luma's. An identical request made within that margin would be taken for the lost one.
RECOVERY_WINDOW = 10
HANDED_OUT_MEMORY: int = RECOVERY_WINDOW * 10
CLOCK_SKEW = timedelta(seconds=15)
# The biggest answer Luma could honestly give is a page of 100 generations whose prompts are all 5000 emoji sent as
# JSON escapes, about 6 MB (a typical page is under 100 KB). A bigger one is not read on, so a broken or hostile
# upstream cannot fill the memory, or the protocol stream with an echo of itself.
MAX_ANSWER_BYTES = 8 * 1024**2
# Below this much time left in a call, a request is not worth sending: it could only time out.
MIN_REQUEST_SECONDS = 0.25
T = TypeVar("T")
_STRINGS: TypeAdapter[list[str]] = TypeAdapter(list[str])


class DreamMachineClient:
    """A pooled connection to Luma for the life of the process.

    Reads are retried on connection errors, 408, 409, 429 and 5xx. A create is only retried when the failure
    proves Luma never started it (no connection could be made): a retried create that did reach Luma would be a
    second paid video. Any answer to a create is final here: a 429 is raised for `CreateQueue` to wait out, a
    refusal (another 4xx) as it is, and anything else goes down the lost-answer path (see `_start`).
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        timing: TimePolicy = TimePolicy(),
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
        handed_out: deque[str] | None = None,
    ) -> None:
        self._api_key = api_key
        self._timing = timing
        self._retry = retry
        # Ids of paid generations already handed out, so a lost answer is never matched to one of them; the
        # caller may keep them across clients of one account.
        self._started: deque[str] = deque(maxlen=HANDED_OUT_MEMORY) if handed_out is None else handed_out
        self.key_accepted = False
        """True once Luma has answered any request with success, which proves the key is real."""
        headers = {"Accept": "application/json", "User-Agent": f"luma-mcp/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, transport=transport, verify=shared_tls_context()
        )

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

    api = "dream-machine"
    lists_generations = True

    async def start(self, job: Job) -> Generation:
        match job:
            case GenerationRequest():
                return await self.create_generation(job)
            case Upscale(generation_id=source, request=request):
                return await self.upscale_generation(source, request)
            case AddAudio(generation_id=source, request=request):
                return await self.add_audio(source, request)

    async def upload_media(self, path: Path) -> str:
        """The Dream Machine API fetches every image and video from a public URL; it takes no uploads."""
        raise local_files_refused(path)

    async def create_generation(self, request: GenerationRequest) -> Generation:
        return await self._start("generations/video", request.body(), what="create", findable=True)

    async def get_generation(self, generation_id: str, *, poll: bool = False) -> Generation:
        """`poll`: one quick try (no retries, a short timeout), for a poller that looks again next tick anyway."""
        path = f"generations/{generation_id}"
        return _checked(await self._get(path, Generation, poll=poll), f"GET /{path}", asked=generation_id)

    async def list_generations(self, *, limit: int = 100, offset: int = 0, poll: bool = False) -> GenerationPage:
        return await self._usable_page(limit, offset, poll=poll)

    async def delete_generation(self, generation_id: str) -> None:
        await self._request(
            "DELETE", f"generations/{generation_id}", cap=self._timing.read, retries=self._retry.retries
        )

    async def upscale_generation(self, generation_id: str, request: UpscaleRequest) -> Generation:
        # Luma's echo of an upscale or audio request does not name its source, so a lost answer cannot be found.
        return await self._start(f"generations/{generation_id}/upscale", request.body(), what="upscale", findable=False)

    async def add_audio(self, generation_id: str, request: AudioRequest) -> Generation:
        return await self._start(f"generations/{generation_id}/audio", request.body(), what="audio", findable=False)

    async def list_concepts(self) -> list[str]:
        return await self._get("generations/concepts/list", _STRINGS)

    async def list_camera_motions(self) -> list[str]:
        """Legacy endpoint, gone from Luma's current spec: expect `NotFoundError`."""
        return await self._get("generations/camera_motion/list", _STRINGS)

    async def get_credits(self) -> Credits:
        return await self._get("credits", Credits)

    async def ping(self) -> None:
        await self._request("GET", "ping", cap=self._timing.read, retries=self._retry.retries)

    async def _get(
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
            cap, retries = self._timing.poll, 0
        answer = await self._request(
            "GET",
            path,
            params=params,
            cap=self._timing.read if cap is None else cap,
            retries=self._retry.retries if retries is None else retries,
        )
        return _parse(shape, answer, f"GET /{path}")

    async def _usable_page(
        self, limit: int, offset: int, *, poll: bool = False, cap: float | None = None, retries: int | None = None
    ) -> GenerationPage:
        """A page of `GET /generations` (`poll`, `cap` and `retries` as for `_get`). An entry whose id is not a UUID
        is left out rather than failing the page: no tool could act on it, and one bad entry must not hide the others
        from the model, the poller and the search for a lost create."""
        params = {"limit": limit, "offset": offset}
        page = await self._get("generations", GenerationPage, params=params, poll=poll, cap=cap, retries=retries)
        usable = [generation for generation in page.generations if is_generation_id(generation.id)]
        if len(usable) < len(page.generations):
            logger.warning(
                "Left out %d generations whose id Luma gave is not a UUID", len(page.generations) - len(usable)
            )
            page.generations = usable
        return page

    async def _start(self, path: str, body: dict[str, Any], *, what: str, findable: bool) -> Generation:
        """Start something Luma charges for. If its answer is lost (a broken connection, a timeout, a 408, 409 or
        5xx, an unreadable reply), Luma may have started it anyway: look for it among the newest generations
        before reporting a failure, and then say plainly that the outcome is unknown."""
        sent_at = datetime.now(UTC)
        try:
            answer = await self._request(
                "POST",
                path,
                json=body,
                idempotent=False,
                cap=self._timing.paid,
                retries=self._retry.retries,
                leave=self._timing.lost_answer_search if findable else 0.0,
            )
            started = _checked(_parse(Generation, answer, f"POST /{path}"), f"POST /{path}")
        except LumaError as exc:
            if not _may_have_started(exc):
                raise
            lost = exc
        else:
            self._started.append(started.id)
            return started
        search: LostCreateSearch = "unfindable"
        if findable and time_left() < MIN_REQUEST_SECONDS:
            search = "no_time"
        elif findable:
            try:
                found = await self._find_started(body, sent_at)
            except LumaError:
                search = "list_failed"
            else:
                if found is not None:
                    logger.warning("The answer to a %s was lost (%s); Luma had started it as %s", what, lost, found.id)
                    self._started.append(found.id)
                    return found
                search = "not_listed"
        raise create_outcome_unknown(what, lost, search) from lost

    async def _find_started(self, body: dict[str, Any], sent_at: datetime) -> Generation | None:
        """The newest generation, not already handed out, whose echoed request matches `body` and that was
        created after we sent it."""
        earliest = sent_at - CLOCK_SKEW
        # One try, within what is left of the call: the model is told to look again itself if this fails.
        listed = await self._usable_page(RECOVERY_WINDOW, 0, cap=self._timing.lost_answer_search, retries=0)
        for generation in listed.generations:
            echoed = generation.request or {}
            if (
                generation.id not in self._started
                and all(echoed.get(key) == value for key, value in body.items())
                and _created_after(generation, earliest)
            ):
                return generation
        return None

    async def _request(
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
                delay = self._retry.backoff(retries_taken)
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
                )
                wait = self._retry.delay(retries_taken, retry_after)
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

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None,
        params: dict[str, Any] | None,
        seconds: float,
    ) -> tuple[httpx.Response, bytes]:
        """The answer's status and headers, and its body read up to `MAX_ANSWER_BYTES`, all within `seconds` (a
        slow trickle of bytes included); httpx's exceptions are translated into ours at exactly this one place."""
        where = f"{method} /{path}"
        if seconds < MIN_REQUEST_SECONDS:
            raise not_sent(where)
        timeout = httpx.Timeout(seconds, connect=min(seconds, self._timing.connect))
        try:
            with anyio.move_on_after(seconds):
                async with self._http.stream(method, path, json=json, params=params, timeout=timeout) as response:
                    return response, await _read_capped(response, where)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise cannot_connect(self._http.base_url.host, where, exc) from exc
        except httpx.TimeoutException as exc:
            raise no_answer_in_time(where, seconds, exc) from exc
        except httpx.TransportError as exc:
            raise connection_broke(where, exc) from exc
        except httpx.DecodingError as exc:
            raise undecodable_answer(where, exc) from exc
        except httpx.HTTPError as exc:
            raise request_failed(where, exc) from exc
        raise answer_unfinished(where, seconds)


@cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS context for every account's client: building one costs ~20 ms of CPU, which a flood of made-up keys
    (each a new account) would otherwise make the server pay again and again."""
    return httpx.create_ssl_context()


def _created_after(generation: Generation, earliest: datetime) -> bool:
    try:
        created = datetime.fromisoformat((generation.created_at or "").replace("Z", "+00:00"))
    except ValueError:
        return False
    return created.tzinfo is not None and created >= earliest


def _may_have_started(error: LumaError) -> bool:
    """Whether a paid request that failed with `error` may have been started by Luma all the same."""
    if isinstance(error, APIConnectionError):
        return error.may_have_reached_luma
    if isinstance(error, APIStatusError):
        return leaves_create_unknown(error.status_code)
    return isinstance(error, APIResponseError)


def _checked(generation: Generation, where: str, *, asked: str | None = None) -> Generation:
    """The generation in an answer, if its id is a UUID and, for a lookup, the one asked for."""
    if not is_generation_id(generation.id):
        raise answer_id_not_a_uuid(where)
    if asked is not None and generation.id.lower() != asked.lower():
        raise answer_about_another(where, generation.id, asked)
    return generation


def _parse(shape: type[T] | TypeAdapter[T], body: Any, where: str) -> T:
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

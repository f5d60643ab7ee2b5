"""`LumaClient`: the one async HTTP client for Luma's Dream Machine API, with retries.

Only this module knows httpx; everything above it sees `luma_mcp.models` and `luma_mcp.errors`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import anyio
import httpx

from . import __version__
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    CreateOutcomeUnknownError,
    LumaError,
    ServerError,
    status_error,
)
from .models import (
    AudioRequest,
    Credits,
    Generation,
    GenerationPage,
    GenerationRequest,
    UpscaleRequest,
)
from .retries import CREATE_RETRYABLE_STATUSES, RETRYABLE_STATUSES, RetryPolicy, retry_after_seconds
from .settings import DEFAULT_BASE_URL

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Finding a create whose answer was lost: how many of the newest generations to look through, and how far our
# clock may run ahead of Luma's. An identical request made within that margin would be taken for the lost one.
RECOVERY_WINDOW = 10
CLOCK_SKEW = timedelta(seconds=15)
MISSING_KEY_MESSAGE = (
    "No Luma API key is configured. Set the LUMA_API_KEY environment variable in the MCP client's server "
    "configuration (create a key at https://lumalabs.ai/dream-machine/api/keys) and restart the server."
)


class LumaClient:
    """A pooled connection to Luma for the life of the process.

    Reads are retried on connection errors, 408, 409, 429 and 5xx. A create is retried only when the
    failure proves Luma never started it (the connection was refused, or Luma answered 408): a retried create
    that did reach Luma would be a second paid video. A 429 on a create is raised for `CreateQueue` to wait out.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self._retry = retry
        headers = {"Accept": "application/json", "User-Agent": f"luma-mcp/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout, transport=transport
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
    def has_api_key(self) -> bool:
        return bool(self._api_key)

    async def create_generation(self, request: GenerationRequest) -> Generation:
        """Start a paid generation. If its answer is lost (a broken connection, a timeout, a 5xx), Luma may have
        started it anyway, so we look for it among the newest generations before reporting a failure."""
        body = request.body()
        sent_at = datetime.now(UTC)
        try:
            return Generation.model_validate(
                await self._request("POST", "generations/video", json=body, idempotent=False)
            )
        except (APIConnectionError, ServerError) as exc:
            if isinstance(exc, APIConnectionError) and not exc.may_have_reached_luma:
                raise
            lost = exc
        try:
            found = await self._find_created(body, sent_at)
        except LumaError:
            found = None
            verdict = "Luma could not be asked whether it started the generation"
        else:
            verdict = "no matching generation is in list_generations yet"
        if found is not None:
            logger.warning("Create answer lost (%s); Luma had started it as %s", lost, found.id)
            return found
        raise CreateOutcomeUnknownError(
            f"{lost} Luma may or may not have started the video and {verdict}. Call list_generations in a "
            "minute before creating it again, so the user is not charged twice."
        ) from lost

    async def get_generation(self, generation_id: str) -> Generation:
        return Generation.model_validate(await self._request("GET", f"generations/{generation_id}"))

    async def list_generations(self, *, limit: int = 100, offset: int = 0) -> GenerationPage:
        body = await self._request("GET", "generations", params={"limit": limit, "offset": offset})
        return GenerationPage.model_validate(body)

    async def delete_generation(self, generation_id: str) -> None:
        await self._request("DELETE", f"generations/{generation_id}")

    async def upscale_generation(self, generation_id: str, request: UpscaleRequest) -> Generation:
        body = await self._request(
            "POST", f"generations/{generation_id}/upscale", json=request.body(), idempotent=False
        )
        return Generation.model_validate(body)

    async def add_audio(self, generation_id: str, request: AudioRequest) -> Generation:
        body = await self._request("POST", f"generations/{generation_id}/audio", json=request.body(), idempotent=False)
        return Generation.model_validate(body)

    async def list_concepts(self) -> list[str]:
        return [str(key) for key in await self._request("GET", "generations/concepts/list")]

    async def list_camera_motions(self) -> list[str]:
        """Legacy endpoint, gone from Luma's current spec: expect `NotFoundError`."""
        return [str(phrase) for phrase in await self._request("GET", "generations/camera_motion/list")]

    async def get_credits(self) -> Credits:
        return Credits.model_validate(await self._request("GET", "credits"))

    async def ping(self) -> None:
        await self._request("GET", "ping")

    async def _find_created(self, body: dict[str, Any], sent_at: datetime) -> Generation | None:
        """The newest generation whose echoed request matches `body` and that was created after we sent it."""
        earliest = sent_at - CLOCK_SKEW
        for generation in (await self.list_generations(limit=RECOVERY_WINDOW)).generations:
            echoed = generation.request or {}
            if all(echoed.get(key) == value for key, value in body.items()) and _created_after(generation, earliest):
                return generation
        return None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> Any:
        if not self._api_key:
            raise ConfigurationError(MISSING_KEY_MESSAGE)
        retries_taken = 0
        while True:
            try:
                response = await self._send(method, path, json=json, params=params)
            except APIConnectionError as exc:
                if retries_taken >= self._retry.retries or (not idempotent and exc.may_have_reached_luma):
                    raise
                delay = self._retry.delay(retries_taken)
                logger.warning("%s /%s: %s; retrying in %.1f s", method, path, exc, delay)
            else:
                if response.is_success:
                    return response.json() if response.content else None
                retry_after = retry_after_seconds(response.headers)
                error = status_error(
                    response.status_code,
                    _json_or_none(response),
                    method=method,
                    path=f"/{path}",
                    retry_after=retry_after,
                )
                if not self._may_retry(response, idempotent) or retries_taken >= self._retry.retries:
                    raise error
                delay = self._retry.delay(retries_taken, retry_after)
                logger.warning("%s /%s answered %d; retrying in %.1f s", method, path, response.status_code, delay)
            retries_taken += 1
            await anyio.sleep(delay)

    @staticmethod
    def _may_retry(response: httpx.Response, idempotent: bool) -> bool:
        should_retry: str | None = response.headers.get("x-should-retry")
        if should_retry in ("true", "false"):
            return should_retry == "true"
        retryable = RETRYABLE_STATUSES if idempotent else CREATE_RETRYABLE_STATUSES
        return response.status_code in retryable

    async def _send(
        self, method: str, path: str, *, json: dict[str, Any] | None, params: dict[str, Any] | None
    ) -> httpx.Response:
        """Translate httpx's exceptions into ours, at exactly this one place."""
        where = f"{method} /{path}"
        try:
            return await self._http.request(method, path, json=json, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise APIConnectionError(
                f"Could not connect to Luma for {where} ({type(exc).__name__}). Check the network and LUMA_BASE_URL.",
                may_have_reached_luma=False,
            ) from exc
        except httpx.TimeoutException as exc:
            raise APITimeoutError(f"Luma did not answer {where} in time ({type(exc).__name__}).") from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The connection to Luma broke during {where} ({type(exc).__name__}).") from exc


def _created_after(generation: Generation, earliest: datetime) -> bool:
    try:
        created = datetime.fromisoformat((generation.created_at or "").replace("Z", "+00:00"))
    except ValueError:
        return False
    return created.tzinfo is not None and created >= earliest


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None

"""The HTTP face of the emulator: Luma's Dream Machine v1 routes, served under ``/dream-machine/v1`` and at the root,
and the Agents API's under ``/agents/v1`` (``agents/``).

Routes come first and authentication second, so an unknown path is a 404 with or without a key, as on a FastAPI
backend like Luma's. Every error body is ``{"detail": "..."}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from luma_mcp.emulator.agents.app import agents_routes
from luma_mcp.emulator.agents.state import AgentsState
from luma_mcp.emulator.assets import SAMPLE_IMAGE, SAMPLE_THUMBNAIL, SAMPLE_VIDEO, asset_response, sample_bytes
from luma_mcp.emulator.auth import bearer_token
from luma_mcp.emulator.bodies import json_body
from luma_mcp.emulator.callbacks import CallbackSender
from luma_mcp.emulator.clock import GenerationClock, Timeline
from luma_mcp.emulator.config import EmulatorConfig
from luma_mcp.emulator.faults import FaultQueue
from luma_mcp.emulator.limits import CreateLimits
from luma_mcp.emulator.middleware import RequestInterceptor
from luma_mcp.emulator.paths import API_PREFIX
from luma_mcp.emulator.pricing import ADD_AUDIO_PRICE_CENTS, EDIT_PRICE_CENTS, IMAGE_PRICE_CENTS, video_price_cents
from luma_mcp.emulator.recording import RecordedRequest
from luma_mcp.emulator.store import GenerationStore, StoredGeneration
from luma_mcp.emulator.validation import (
    InvalidRequest,
    audio_request,
    image_request,
    modify_video_request,
    reframe_request,
    require_completed,
    upscale_request,
    video_request,
)
from luma_mcp.emulator.vocabulary import CAMERA_MOTIONS, CONCEPT_KEYS

DEFAULT_PAGE_SIZE = 100


def build_app(
    *,
    config: EmulatorConfig,
    store: GenerationStore,
    clock: GenerationClock,
    limits: CreateLimits,
    callbacks: CallbackSender,
    faults: FaultQueue,
    log: list[RecordedRequest],
    agents: AgentsState,
) -> Starlette:
    """The ASGI app; its lifespan runs ``clock`` and ``callbacks``, so it must be served with lifespan events (uvicorn
    does)."""
    api = LumaApi(config, store, clock, limits, callbacks)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with clock.running(), callbacks.running():
            yield

    return Starlette(
        routes=[*agents_routes(config, agents, clock), *api.routes()],
        middleware=[Middleware(RequestInterceptor, faults=faults, log=log)],
        exception_handlers={HTTPException: _http_error, InvalidRequest: _invalid_request},
        lifespan=lifespan,
    )


class LumaApi:
    """The endpoint handlers, sharing the store, the clock and the limits."""

    def __init__(
        self,
        config: EmulatorConfig,
        store: GenerationStore,
        clock: GenerationClock,
        limits: CreateLimits,
        callbacks: CallbackSender,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._callbacks = callbacks
        self._limits = limits

    def routes(self) -> list[BaseRoute]:
        api: list[BaseRoute] = [
            Route("/ping", self.ping, methods=["GET"]),
            Route("/credits", self.credits, methods=["GET"]),
            Route("/generations/concepts/list", self.concepts, methods=["GET"]),
            Route("/generations", self.list_generations, methods=["GET"]),
            Route("/generations", self.create_video, methods=["POST"]),
            Route("/generations/video", self.create_video, methods=["POST"]),
            Route("/generations/image", self.create_image, methods=["POST"]),
            Route("/generations/video/modify", self.modify_video, methods=["POST"]),
            Route("/generations/video/reframe", self.reframe_video, methods=["POST"]),
            Route("/generations/image/reframe", self.reframe_image, methods=["POST"]),
            Route("/generations/{generation_id}", self.get_generation, methods=["GET"]),
            Route("/generations/{generation_id}", self.delete_generation, methods=["DELETE"]),
            Route("/generations/{generation_id}/upscale", self.upscale, methods=["POST"]),
            Route("/generations/{generation_id}/audio", self.add_audio, methods=["POST"]),
        ]
        if self._config.camera_motions:
            api.insert(0, Route("/generations/camera_motion/list", self.camera_motions, methods=["GET"]))
        assets = [
            Route("/assets/{generation_id}/video.mp4", self.video, methods=["GET"]),
            Route("/assets/{generation_id}/thumb.jpg", self.thumbnail, methods=["GET"]),
            Route("/assets/{generation_id}/image.jpg", self.thumbnail, methods=["GET"]),
            Route("/assets/{generation_id}/image.png", self.image, methods=["GET"]),
        ]
        return [*api, Mount(API_PREFIX, routes=api), *assets]

    async def ping(self, request: Request) -> Response:
        self._authenticate(request)
        return JSONResponse({"message": "pong"})

    async def credits(self, request: Request) -> Response:
        return JSONResponse({"credit_balance": self._store.balance(self._authenticate(request))})

    async def concepts(self, request: Request) -> Response:
        self._authenticate(request)
        return JSONResponse(list(CONCEPT_KEYS))

    async def camera_motions(self, request: Request) -> Response:
        self._authenticate(request)
        return JSONResponse(list(CAMERA_MOTIONS))

    async def list_generations(self, request: Request) -> Response:
        owner = self._authenticate(request)
        limit = _query_int(request, "limit", default=DEFAULT_PAGE_SIZE, minimum=1)
        offset = _query_int(request, "offset", default=0, minimum=0)
        page, has_more = self._store.page(owner, limit=limit, offset=offset)
        generations = [generation.to_json() for generation in page]
        return JSONResponse(
            {
                "has_more": has_more,
                "count": len(generations),
                "limit": limit,
                "offset": offset,
                "generations": generations,
            }
        )

    async def get_generation(self, request: Request) -> Response:
        return JSONResponse(self._owned_generation(request).to_json())

    async def delete_generation(self, request: Request) -> Response:
        generation = self._owned_generation(request)
        self._clock.stop(generation.id)
        self._store.delete(generation.id)
        return Response(status_code=204)

    async def create_video(self, request: Request) -> Response:
        owner = self._authenticate(request)
        self._limits.check(owner, "video")
        echo = video_request(
            await json_body(request, InvalidRequest),
            state_of=lambda generation_id: self._state_of(generation_id, owner),
        )
        cost = video_price_cents(echo["model"], echo["resolution"], echo["duration"])
        generation = self._create(request, owner, "video", model=echo["model"], echo=echo, cost_cents=cost)
        return JSONResponse(generation.to_json(), status_code=201)

    async def create_image(self, request: Request) -> Response:
        owner = self._authenticate(request)
        self._limits.check(owner, "image")
        echo = image_request(await json_body(request, InvalidRequest))
        cost = IMAGE_PRICE_CENTS[echo["model"]]
        generation = self._create(request, owner, "image", model=echo["model"], echo=echo, cost_cents=cost)
        return JSONResponse(generation.to_json(), status_code=201)

    async def modify_video(self, request: Request) -> Response:
        return await self._edit(request, "video", modify_video_request)

    async def reframe_video(self, request: Request) -> Response:
        return await self._edit(request, "video", lambda body: reframe_request(body, "reframe_video"))

    async def reframe_image(self, request: Request) -> Response:
        return await self._edit(request, "image", lambda body: reframe_request(body, "reframe_image"))

    async def _edit(self, request: Request, made: str, validate: Callable[[Any], dict[str, Any]]) -> Response:
        """A modify or reframe of media at a URL: a new generation, answered 201 like a create."""
        owner = self._authenticate(request)
        self._limits.check(owner, made)
        echo = validate(await json_body(request, InvalidRequest))
        cost = EDIT_PRICE_CENTS[(echo["generation_type"], echo["model"])]
        generation = self._create(request, owner, made, model=echo["model"], echo=echo, cost_cents=cost)
        return JSONResponse(generation.to_json(), status_code=201)

    async def upscale(self, request: Request) -> Response:
        return await self._derive(
            request,
            upscale_request,
            use="upscaled",
            price=lambda source, echo: video_price_cents(
                source.model, echo["resolution"], source.request.get("duration")
            ),
        )

    async def add_audio(self, request: Request) -> Response:
        return await self._derive(
            request, audio_request, use="given audio", price=lambda source, echo: ADD_AUDIO_PRICE_CENTS
        )

    async def video(self, request: Request) -> Response:
        return self._asset(request, SAMPLE_VIDEO, "video/mp4")

    async def thumbnail(self, request: Request) -> Response:
        return self._asset(request, SAMPLE_THUMBNAIL, "image/jpeg")

    async def image(self, request: Request) -> Response:
        return self._asset(request, SAMPLE_IMAGE, "image/png")

    def _authenticate(self, request: Request) -> str:
        """The caller's key, which is also the tenant that owns what it creates."""
        key = bearer_token(request.headers.get("authorization"))
        if key is None or key not in self._config.api_keys:
            raise HTTPException(401, "Invalid API key is provided")
        return key

    def _owned_generation(self, request: Request) -> StoredGeneration:
        """The generation named in the path; someone else's is as invisible as a missing one."""
        owner = self._authenticate(request)
        generation_id = request.path_params["generation_id"]
        generation = self._store.get(generation_id, owner=owner)
        if generation is None:
            raise HTTPException(404, f"Generation {generation_id} not found")
        return generation

    async def _derive(
        self,
        request: Request,
        validate: Callable[[Any], dict[str, Any]],
        *,
        use: str,
        price: Callable[[StoredGeneration, dict[str, Any]], float],
    ) -> Response:
        """A new generation made from a completed one (upscale, audio); Luma answers these 200, not 201."""
        source = self._owned_generation(request)
        self._limits.check(source.owner, "video")
        echo = validate(await json_body(request, InvalidRequest))
        require_completed(source.id, source.state, use=use)
        # The SDK types the top-level `generation_type` as "video" | "image"; the kind of job is in the request echo.
        generation = self._create(
            request,
            source.owner,
            "video",
            model=source.model,
            echo=echo,
            cost_cents=price(source, echo),
        )
        return JSONResponse(generation.to_json())

    def _state_of(self, generation_id: str, owner: str) -> str | None:
        generation = self._store.get(generation_id, owner=owner)
        return None if generation is None else generation.state

    def _create(
        self, request: Request, owner: str, generation_type: str, *, model: str, echo: dict[str, Any], cost_cents: float
    ) -> StoredGeneration:
        generation = self._store.create(
            owner=owner,
            generation_type=generation_type,
            model=model,
            request=echo,
            origin=f"{request.url.scheme}://{request.url.netloc}",
            cost_cents=cost_cents,
        )
        self._limits.record(owner, generation_type)
        plan = generation.plan
        self._clock.start(
            Timeline(
                generation.id,
                plan.queued_seconds,
                plan.dreaming_seconds,
                begin=lambda: self._start_dreaming(generation),
                finish=lambda: self._finish(generation),
            )
        )
        return generation

    def _start_dreaming(self, generation: StoredGeneration) -> None:
        self._store.start_dreaming(generation)
        self._announce(generation)

    def _finish(self, generation: StoredGeneration) -> None:
        self._store.finish(generation)
        self._announce(generation)

    def _announce(self, generation: StoredGeneration) -> None:
        url = generation.request.get("callback_url")
        if url:
            self._callbacks.announce(url, generation.to_json())

    def _asset(self, request: Request, name: str, media_type: str) -> Response:
        """A completed generation's file; no key needed, like Luma's public CDN."""
        generation = self._store.get(request.path_params["generation_id"])
        if generation is None or generation.state != "completed":
            raise HTTPException(404)
        return asset_response(sample_bytes(name), media_type, self._config.asset_bytes_per_second)


def _query_int(request: Request, name: str, *, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise InvalidRequest(f"{name} must be an integer of at least {minimum}, not {raw!r}")
    return value


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidRequest)
    return JSONResponse({"detail": exc.detail}, status_code=400)

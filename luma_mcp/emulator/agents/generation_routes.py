"""``POST /generations`` and ``GET /generations/{id}``: the Agents API's whole generation surface."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from luma_mcp.emulator.agents.auth import authenticate
from luma_mcp.emulator.agents.errors import InsufficientBalance, InvalidParameter
from luma_mcp.emulator.agents.limits import GenerationLimits
from luma_mcp.emulator.agents.outputs import outputs_for
from luma_mcp.emulator.agents.pricing import price_cents
from luma_mcp.emulator.agents.refs import MediaRefs
from luma_mcp.emulator.agents.state import AgentsState
from luma_mcp.emulator.agents.store import AgentsGeneration
from luma_mcp.emulator.agents.validation import generation_request
from luma_mcp.emulator.bodies import json_body
from luma_mcp.emulator.clock import GenerationClock, Timeline
from luma_mcp.emulator.config import EmulatorConfig


class GenerationRoutes:
    def __init__(self, config: EmulatorConfig, state: AgentsState, clock: GenerationClock) -> None:
        self._config = config.agents
        self._state = state
        self._clock = clock
        self._limits = GenerationLimits(config.agents, state.generations, state.recent_creates)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/generations", self.create, methods=["POST"]),
            Route("/generations/{generation_id}", self.get, methods=["GET"]),
        ]

    async def create(self, request: Request) -> Response:
        """Limits first, then the body, then the balance: a refused create costs nothing and is not queued."""
        owner = authenticate(request, self._config.api_keys)
        rate_headers = self._limits.admit(owner)
        generations = self._state.generations
        origin = f"{request.url.scheme}://{request.url.netloc}"
        refs = MediaRefs(owner, generations, self._state.files, self._config, origin=origin)
        wanted = generation_request(
            await json_body(request, InvalidParameter), refs=refs, hdr_access=self._config.hdr_access
        )
        cost = price_cents(wanted)
        if cost > generations.balance(owner):
            # The newer of Luma's two recorded wordings (the older: "Insufficient credits. Please add credits ...").
            raise InsufficientBalance("Insufficient balance. Please add funds to continue.")
        generation = generations.create(
            owner=owner,
            model=wanted.model,
            generation_type=wanted.type,
            outputs=outputs_for(wanted),
            video_seconds=None if wanted.video is None else wanted.video.seconds,
            origin=origin,
            cost_cents=cost,
        )
        self._clock.start(
            Timeline(
                generation.id,
                generation.plan.queued_seconds,
                generation.plan.processing_seconds,
                begin=lambda: generations.start_processing(generation),
                finish=lambda: generations.finish(generation),
            )
        )
        return JSONResponse(generation.to_json(self._state.presign), status_code=201, headers=rate_headers)

    async def get(self, request: Request) -> Response:
        return JSONResponse(self._owned(request).to_json(self._state.presign))

    def _owned(self, request: Request) -> AgentsGeneration:
        """The generation named in the path; one that is unknown, malformed or someone else's reads the same."""
        owner = authenticate(request, self._config.api_keys)
        generation = self._state.generations.get(request.path_params["generation_id"], owner=owner)
        if generation is None:
            raise HTTPException(404, "Generation not found")
        return generation

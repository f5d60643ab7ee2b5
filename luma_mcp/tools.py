"""The MCP tools: thin, typed functions over `LumaClient`, `Poller` and `Downloader`.

Each signature is the tool's input schema and each docstring its description, so both are written for the
model that calls them.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from .client import LumaClient
from .context import AppContext, AppCtx
from .errors import GenerationFailedError, NotFoundError
from .inputs import (
    AudioPrompt,
    CallbackUrl,
    Concepts,
    Direction,
    GenerationId,
    ImageUrl,
    Prompt,
    check_loop,
    extend_keyframes,
    image_to_video_keyframes,
)
from .models import (
    AspectRatio,
    AudioRequest,
    Concept,
    Duration,
    Generation,
    GenerationRequest,
    Keyframes,
    Model,
    Resolution,
    UpscaleRequest,
)
from .results import (
    CameraMotionList,
    ConceptList,
    CreditBalance,
    Deleted,
    Download,
    GenerationList,
    GenerationResult,
)
from .tenants import Tenant, leased_tenant
from .timing import time_left

# Luma's camera_motion/list endpoint left the API spec in 2025; these phrases still steer the camera in prompts.
BUILT_IN_CAMERA_MOTIONS = (
    "camera orbit left",
    "camera orbit right",
    "camera pan left",
    "camera pan right",
    "camera pan up",
    "camera pan down",
    "camera tilt up",
    "camera tilt down",
    "camera push in",
    "camera pull out",
    "camera zoom in",
    "camera zoom out",
    "camera dolly in",
    "camera dolly out",
    "camera crane up",
    "camera crane down",
    "camera truck left",
    "camera truck right",
    "static camera",
    "handheld camera",
    "aerial drone shot",
    "slow dolly zoom",
)
DEFAULT_RESOLUTION: Resolution = "720p"
DEFAULT_DURATION: Duration = "5s"
TYPICAL_SECONDS = 90.0

Wait = Annotated[
    bool,
    Field(
        description=(
            "Wait for the video, reporting progress, for up to the server's time limit (45 s by default). If it "
            "is not done by then you get its current state; call get_generation with wait=true to keep waiting."
        )
    ),
]
ModelArg = Annotated[Model, Field(description="ray-2 (best) or ray-flash-2 (faster, cheaper).")]
ResolutionArg = Annotated[Resolution | None, Field(description="540p, 720p (default), 1080p or 4k; more costs more.")]
DurationArg = Annotated[Duration | None, Field(description="5s (default) or 9s.")]

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
PAID = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)
LOCAL_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)

GenerationOutput = Annotated[CallToolResult, GenerationResult]


def _app(ctx: AppCtx) -> AppContext:
    return ctx.request_context.lifespan_context


def _luma() -> LumaClient:
    return leased_tenant().client


class _Call:
    """One tool call: the shared parts, and MCP progress that only moves forward, as the spec requires. The
    call's deadline is set by the server (see `luma_mcp.timing`); waiting for a video ends there.

    Luma gives no percentage, so the estimate approaches 100 as time passes and jumps to 100 on completion.
    """

    def __init__(self, ctx: AppCtx) -> None:
        self.ctx = ctx
        self.app = _app(ctx)
        self.tenant: Tenant = leased_tenant()
        self.luma = self.tenant.client
        self.started = anyio.current_time()
        self._last = 0.0

    async def report(self, message: str, *, done: bool = False) -> None:
        elapsed = anyio.current_time() - self.started
        value = 100.0 if done else max(self._last + 0.01, round(95.0 * elapsed / (elapsed + TYPICAL_SECONDS), 2))
        if value <= self._last:
            return
        self._last = value
        await self.ctx.report_progress(value, 100.0, message)

    async def on_update(self, generation: Generation) -> None:
        if generation.is_terminal:
            await self.report(generation.state, done=True)
        else:
            await self.report(f"Luma is {generation.state}, {anyio.current_time() - self.started:.0f} s")

    async def create(self, start: Callable[[], Awaitable[Generation]]) -> Generation:
        """Start a paid generation once Luma's limits allow it (see `CreateQueue`)."""
        generation = await self.tenant.creates.submit(start, report=self.report)
        self.app.updates.changed(self.tenant.account, generation.id)
        return generation

    async def finish(self, generation: Generation, wait: bool) -> CallToolResult:
        """The common ending of every tool that starts or looks at a generation."""
        if wait and not generation.is_terminal:
            remaining = time_left()
            try:
                generation = await self.tenant.poller.wait(generation, timeout=remaining, on_update=self.on_update)
            except NotFoundError as exc:
                raise NotFoundError(
                    f"Generation {generation.id} no longer exists: it was deleted while this call waited for it. "
                    "Call list_generations to see the generations that remain.",
                    status_code=exc.status_code,
                    detail=exc.detail,
                ) from exc
        if generation.state == "failed":
            raise GenerationFailedError(generation.id, generation.failure_reason)
        next_step = None
        if not generation.is_terminal:
            waited = f"Still {generation.state} after {anyio.current_time() - self.started:.0f} s. " if wait else ""
            next_step = (
                f"{waited}Call get_generation with generation_id='{generation.id}' and wait=true to wait for the "
                "video (videos usually take 1-3 minutes). Do not create it again."
            )
        result = GenerationResult.of(generation, next_step)
        return CallToolResult(
            content=[TextContent(type="text", text=result.summary())], structured_content=result.model_dump(mode="json")
        )


def _video_options(resolution: Resolution | None, duration: Duration | None) -> tuple[Resolution, Duration]:
    return resolution or DEFAULT_RESOLUTION, duration or DEFAULT_DURATION


async def _create(ctx: AppCtx, request: GenerationRequest, wait: bool) -> CallToolResult:
    check_loop(request.keyframes, request.loop)
    call = _Call(ctx)
    generation = await call.create(lambda: call.luma.create_generation(request))
    return await call.finish(generation, wait)


async def create_generation(
    ctx: AppCtx,
    prompt: Prompt,
    model: ModelArg = "ray-2",
    resolution: ResolutionArg = None,
    duration: DurationArg = None,
    aspect_ratio: AspectRatio = "16:9",
    loop: bool = False,
    start_image_url: ImageUrl | None = None,
    end_image_url: ImageUrl | None = None,
    concepts: Concepts | None = None,
    callback_url: CallbackUrl | None = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Make a video from a text prompt (text-to-video), or from start and/or end images (image-to-video).

    Costs the user money per call. Write camera moves into the prompt and add concept keys from list_concepts.
    Returns the generation with its video_url when done; if it is still running, call get_generation with
    wait=true rather than creating it again.
    """
    resolution, duration = _video_options(resolution, duration)
    request = GenerationRequest(
        model=model,
        prompt=prompt,
        aspect_ratio=aspect_ratio,
        loop=loop,
        keyframes=image_to_video_keyframes(start_image_url, end_image_url),
        resolution=resolution,
        duration=duration,
        concepts=[Concept(key=key) for key in dict.fromkeys(concepts)] if concepts else None,
        callback_url=callback_url,
    )
    return await _create(ctx, request, wait)


async def extend_generation(
    ctx: AppCtx,
    generation_id: GenerationId,
    prompt: Prompt,
    direction: Annotated[
        Direction, Field(description="forward continues after the video; backward makes a lead-in before it.")
    ] = "forward",
    image_url: Annotated[
        ImageUrl | None,
        Field(description="Optional image to end on (forward) or to start from (backward)."),
    ] = None,
    to_generation_id: Annotated[
        GenerationId | None,
        Field(description="Optional second video to bridge to: makes a transition from generation_id to this one."),
    ] = None,
    model: ModelArg = "ray-2",
    resolution: ResolutionArg = None,
    duration: DurationArg = None,
    aspect_ratio: AspectRatio | None = None,
    loop: bool = False,
    wait: Wait = True,
) -> GenerationOutput:
    """Continue a completed video forward or backward, optionally toward an image, or bridge two videos.

    Costs the user money per call. The source generation(s) must be completed. The result is a new generation.
    """
    resolution, duration = _video_options(resolution, duration)
    keyframes: Keyframes = extend_keyframes(
        str(generation_id),
        direction=direction,
        image_url=image_url,
        to_generation_id=str(to_generation_id) if to_generation_id else None,
    )
    request = GenerationRequest(
        model=model,
        prompt=prompt,
        aspect_ratio=aspect_ratio,
        loop=loop,
        keyframes=keyframes,
        resolution=resolution,
        duration=duration,
    )
    return await _create(ctx, request, wait)


async def get_generation(ctx: AppCtx, generation_id: GenerationId, wait: Wait = False) -> GenerationOutput:
    """Look up a generation's state and video URL; with wait=true, wait for it to finish (with progress)."""
    call = _Call(ctx)
    # Waiting on a generation the poller already watches starts from its view: no second lookup.
    watched = call.tenant.poller.latest(str(generation_id)) if wait else None
    generation = watched or await call.luma.get_generation(str(generation_id))
    return await call.finish(generation, wait)


async def list_generations(
    ctx: AppCtx,
    limit: Annotated[int, Field(ge=1, le=100, description="How many, 1 to 100.")] = 10,
    offset: Annotated[int, Field(ge=0, le=100_000, description="How many of the newest to skip.")] = 0,
) -> GenerationList:
    """List the user's generations, newest first."""
    page = await _luma().list_generations(limit=limit, offset=offset)
    generations = [GenerationResult.of(generation) for generation in page.generations]
    return GenerationList(
        generations=generations,
        count=len(generations),
        limit=limit,
        offset=offset,
        has_more=page.has_more if page.has_more is not None else len(generations) == limit,
    )


async def delete_generation(ctx: AppCtx, generation_id: GenerationId) -> Deleted:
    """Delete a generation and its video from the user's Luma account. This cannot be undone."""
    await _luma().delete_generation(str(generation_id))
    _app(ctx).updates.changed(leased_tenant().account, str(generation_id))
    return Deleted(id=str(generation_id))


async def list_concepts(ctx: AppCtx) -> ConceptList:
    """List the camera concept keys create_generation accepts in its concepts list (e.g. dolly_zoom)."""
    return ConceptList(concepts=await _luma().list_concepts())


async def list_camera_motions(ctx: AppCtx) -> CameraMotionList:
    """List camera-motion phrases to write into a prompt, e.g. 'camera orbit left'."""
    try:
        return CameraMotionList(camera_motions=await _luma().list_camera_motions(), source="luma")
    except NotFoundError:
        return CameraMotionList(camera_motions=list(BUILT_IN_CAMERA_MOTIONS), source="built-in")


async def download_generation(
    ctx: AppCtx,
    generation_id: GenerationId,
    directory: Annotated[
        str | None,
        Field(max_length=255, description="Optional sub-folder of the output folder; relative, no '..'."),
    ] = None,
) -> Download:
    """Save a completed generation's video (MP4) and thumbnail (JPEG) into the output folder; returns the paths.

    A download that takes longer than this call may goes on in the background: the result then says
    status=in_progress, and calling again with the same arguments reports it saved."""
    downloader = _app(ctx).downloader
    target = downloader.target_directory(directory)
    return await downloader.save(await _luma().get_generation(str(generation_id)), target)


async def upscale_generation(
    ctx: AppCtx,
    generation_id: GenerationId,
    resolution: Annotated[Resolution, Field(description="Target resolution: 1080p or 4k.")] = "1080p",
    wait: Wait = True,
) -> GenerationOutput:
    """Upscale a completed video to a higher resolution. Costs the user money; the result is a new generation."""
    request = UpscaleRequest(resolution=resolution)
    call = _Call(ctx)
    generation = await call.create(lambda: call.luma.upscale_generation(str(generation_id), request))
    return await call.finish(generation, wait)


async def add_audio(
    ctx: AppCtx,
    generation_id: GenerationId,
    prompt: AudioPrompt,
    negative_prompt: Annotated[str | None, Field(max_length=5000, description="Sounds to avoid.")] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Add a generated soundtrack to a completed video. Costs the user money; the result is a new generation."""
    request = AudioRequest(prompt=prompt, negative_prompt=negative_prompt)
    call = _Call(ctx)
    generation = await call.create(lambda: call.luma.add_audio(str(generation_id), request))
    return await call.finish(generation, wait)


async def get_credits(ctx: AppCtx) -> CreditBalance:
    """Show the Luma API credit balance left on the user's account."""
    credits = await _luma().get_credits()
    return CreditBalance(
        credit_balance_cents=credits.credit_balance, credit_balance_usd=round(credits.credit_balance / 100, 2)
    )


TOOLS: tuple[tuple[Callable[..., Awaitable[Any]], str, ToolAnnotations], ...] = (
    (create_generation, "Create a video", PAID),
    (extend_generation, "Extend a video", PAID),
    (get_generation, "Get a generation", READ_ONLY),
    (list_generations, "List generations", READ_ONLY),
    (delete_generation, "Delete a generation", DESTRUCTIVE),
    (list_concepts, "List camera concepts", READ_ONLY),
    (list_camera_motions, "List camera motions", READ_ONLY),
    (download_generation, "Download a video", LOCAL_WRITE),
    (upscale_generation, "Upscale a video", PAID),
    (add_audio, "Add audio to a video", PAID),
    (get_credits, "Get credit balance", READ_ONLY),
)


PAID_TOOLS = frozenset(tool.__name__ for tool, _, hints in TOOLS if hints is PAID)


def register_tools(server: MCPServer[AppContext]) -> None:
    for tool, title, hints in TOOLS:
        server.add_tool(tool, title=title, annotations=hints)

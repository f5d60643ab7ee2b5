"""Making and changing videos: every tool here costs the user money."""

from functools import partial
from typing import Annotated, cast

from mcp.types import CallToolResult
from pydantic import Field

from ..accounts import current_caller
from ..agents_wire import ImageRef
from ..backend import AddAudio, Upscale
from ..context import AppCtx
from ..errors.wording import agents_source_refused, argument_not_on_model, model_of_other_api
from ..inputs import (
    AudioPrompt,
    CallbackUrl,
    Concepts,
    Direction,
    GenerationId,
    ImageInput,
    ImageUrl,
    KeyframesArg,
    Prompt,
    check_loop,
    extend_keyframes,
    image_to_video_keyframes,
)
from ..lineup import LINEUP, default_video_model
from ..models import (
    AspectRatio,
    AudioRequest,
    Concept,
    Duration,
    GenerationRequest,
    Keyframes,
    Model,
    Resolution,
    UpscaleRequest,
)
from ..ray3 import RAY3, ray3_video, refuse_dream_machine_options, refuse_ray3_options
from .arguments import (
    AnyDurationArg,
    AnyResolutionArg,
    GenerationOutput,
    VideoModel,
    VideoModelArg,
    Wait,
)
from .call import ToolCall
from .media import checked_media, dream_machine_images, refuse_local_files

DEFAULT_RESOLUTION: Resolution = "720p"
DEFAULT_DURATION: Duration = "5s"


def _video_options(resolution: Resolution | None, duration: Duration | None) -> tuple[Resolution, Duration]:
    return resolution or DEFAULT_RESOLUTION, duration or DEFAULT_DURATION


async def _create(ctx: AppCtx, request: GenerationRequest, wait: bool) -> CallToolResult:
    check_loop(request.keyframes, request.loop)
    return await ToolCall(ctx).start(request, wait)


async def create_generation(
    ctx: AppCtx,
    prompt: Prompt,
    model: VideoModelArg = None,
    resolution: AnyResolutionArg = None,
    duration: AnyDurationArg = None,
    aspect_ratio: AspectRatio = "16:9",
    loop: bool = False,
    hdr: Annotated[
        bool, Field(description="High dynamic range video (ray-3.2 only; 720p or 1080p, 5 s, or 10 s with keyframes).")
    ] = False,
    start_image_url: Annotated[ImageInput | None, Field(description="The image the video starts from.")] = None,
    end_image_url: Annotated[ImageInput | None, Field(description="The image the video ends on.")] = None,
    keyframes: KeyframesArg | None = None,
    concepts: Concepts | None = None,
    callback_url: CallbackUrl | None = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Make a video from a text prompt (text-to-video), or from start and/or end images (image-to-video).

    Costs the user money per call. Images: an https URL, a finished generation's id, or (ray-3.2) a local file path.
    Write camera moves into the prompt (and, on ray-2, add concept keys from list_concepts). Returns the generation
    with its video_url when done; if it is still running, call get_generation with wait=true rather than creating it
    again.
    """
    caller = current_caller()
    chosen = model or default_video_model(set(caller.accounts))
    if LINEUP[chosen].api == "agents":
        refuse_dream_machine_options(concepts=concepts, callback_url=callback_url)
        video = partial(
            ray3_video, prompt, resolution=resolution, duration=duration, aspect_ratio=aspect_ratio, loop=loop, hdr=hdr
        )
        # Every rule first, with stand-in images: nothing is looked up or uploaded for a video Luma would refuse.
        video(
            start_image=ImageRef() if start_image_url else None,
            end_image=ImageRef() if end_image_url else None,
            keyframes=[(ImageRef(), keyframe.frame) for keyframe in keyframes or ()],
        )
        start = await checked_media(start_image_url, "start_image_url", by_id=False) if start_image_url else None
        end = await checked_media(end_image_url, "end_image_url", by_id=False) if end_image_url else None
        frames = [
            (await checked_media(keyframe.image, f"keyframes[{position}].image", by_id=False), keyframe.frame)
            for position, keyframe in enumerate(keyframes or ())
        ]
        job = video(  # every image checked: only now is any uploaded or looked up
            start_image=await start.reference() if start else None,
            end_image=await end.reference() if end else None,
            keyframes=[(await image.reference(), frame) for image, frame in frames],
        )
        return await ToolCall(ctx, caller.account_for("agents")).start(job, wait)
    refuse_ray3_options(chosen, resolution=resolution, duration=duration, hdr=hdr, keyframes=keyframes)
    dream_resolution, dream_duration = _video_options(
        cast(Resolution | None, resolution), cast(Duration | None, duration)
    )
    named = {"start_image_url": start_image_url, "end_image_url": end_image_url}
    refuse_local_files(chosen, named)
    check_loop(image_to_video_keyframes(start_image_url, end_image_url), loop)  # before any image is looked up
    images = await dream_machine_images(chosen, named)
    request = GenerationRequest(
        model=cast(Model, chosen),
        prompt=prompt,
        aspect_ratio=aspect_ratio,
        loop=loop,
        keyframes=image_to_video_keyframes(images["start_image_url"], images["end_image_url"]),
        resolution=dream_resolution,
        duration=dream_duration,
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
    model: Annotated[
        VideoModel | None,
        Field(description="Default: the model family of the source video's API (ray-3.2 or ray-2)."),
    ] = None,
    resolution: AnyResolutionArg = None,
    duration: AnyDurationArg = None,
    aspect_ratio: AspectRatio | None = None,
    loop: bool = False,
    wait: Wait = True,
) -> GenerationOutput:
    """Continue a completed video forward or backward, optionally toward an image, or bridge two videos.

    Costs the user money per call. The source generation(s) must be completed. The result is a new generation. The
    source's API decides: a ray-3.2 video extends with ray-3.2 (5 s, no image, no bridging), a ray-2 one with ray-2.
    """
    made_it = await current_caller().account_that_made(str(generation_id))
    if made_it.api == "agents":
        if model not in (None, RAY3):
            raise model_of_other_api(str(generation_id), made_it.api, model)
        if to_generation_id is not None:
            raise argument_not_on_model(RAY3, "to_generation_id", "the Agents API cannot bridge two videos")
        if image_url is not None:
            raise argument_not_on_model(RAY3, "image_url", "the Agents API cannot extend toward an image")
        job = ray3_video(
            prompt,
            resolution=resolution,
            duration=duration,
            aspect_ratio=aspect_ratio,
            loop=loop,
            hdr=False,
            extends=(str(generation_id), direction),
        )
        return await ToolCall(ctx, made_it).start(job, wait)
    if model == RAY3:
        raise model_of_other_api(str(generation_id), made_it.api, model)
    if to_generation_id is not None:
        await _on_dream_machine(str(to_generation_id), "bridging to it")
    dream_model = model or "ray-2"
    refuse_ray3_options(dream_model, resolution=resolution, duration=duration, hdr=False)
    dream_resolution, dream_duration = _video_options(
        cast(Resolution | None, resolution), cast(Duration | None, duration)
    )
    keyframes: Keyframes = extend_keyframes(
        str(generation_id),
        direction=direction,
        image_url=image_url,
        to_generation_id=str(to_generation_id) if to_generation_id else None,
    )
    request = GenerationRequest(
        model=dream_model,
        prompt=prompt,
        aspect_ratio=aspect_ratio,
        loop=loop,
        keyframes=keyframes,
        resolution=dream_resolution,
        duration=dream_duration,
    )
    return await _create(ctx, request, wait)


async def upscale_generation(
    ctx: AppCtx,
    generation_id: GenerationId,
    resolution: Annotated[
        Resolution,
        Field(description="Target resolution: 1080p (default) or 4k; 540p and 720p are accepted for a smaller source."),
    ] = "1080p",
    wait: Wait = True,
) -> GenerationOutput:
    """Upscale a completed video to a higher resolution. Costs the user money; the result is a new generation."""
    await _on_dream_machine(str(generation_id), "upscaling")
    job = Upscale(str(generation_id), UpscaleRequest(resolution=resolution))
    return await ToolCall(ctx).start(job, wait)


async def add_audio(
    ctx: AppCtx,
    generation_id: GenerationId,
    prompt: AudioPrompt,
    negative_prompt: Annotated[str | None, Field(max_length=5000, description="Sounds to avoid.")] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Add a generated soundtrack to a completed video. Costs the user money; the result is a new generation."""
    await _on_dream_machine(str(generation_id), "adding audio")
    job = AddAudio(str(generation_id), AudioRequest(prompt=prompt, negative_prompt=negative_prompt))
    return await ToolCall(ctx).start(job, wait)


async def _on_dream_machine(generation_id: str, what: str) -> None:
    """A tool that only the Dream Machine API serves refuses, before sending, a source another API made."""
    caller = current_caller()
    if "agents" not in caller.accounts:
        return  # no Agents key: nothing of ours was made there
    made = await caller.made_by(generation_id)
    if made is not None and made.api == "agents":
        raise agents_source_refused(generation_id, what)

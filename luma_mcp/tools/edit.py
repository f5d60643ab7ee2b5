"""Changing an existing video with Ray 3.2 (the Agents API): every tool here costs the user money."""

from typing import Annotated, Literal

from pydantic import Field

from ..accounts import current_caller
from ..agents_wire import EditStrength, RayAspectRatio, RayResolution
from ..context import AppCtx
from ..ray3_edits import MAX_EDIT_SECONDS, RAY3, check_reframe, ray3_reframe, ray3_video_edit
from .arguments import AgentsPrompt, GenerationOutput, MediaArgument, Wait
from .call import ToolCall, agents_source

EditModel = Annotated[Literal["ray-3.2"], Field(description="ray-3.2 (an Agents API key), the one model that does it.")]


async def edit_video(
    ctx: AppCtx,
    video: Annotated[MediaArgument, Field(description=f"The video to edit, at most {MAX_EDIT_SECONDS:g} s long.")],
    prompt: Annotated[AgentsPrompt, Field(description="What the video should become, e.g. 'moonlit 35mm film'.")],
    model: EditModel = RAY3,
    strength: Annotated[
        EditStrength | None,
        Field(
            description=(
                "How far to move from the source: adhere_1-3 (closest), flex_1-3, reimagine_1-3 (freest). Left out, "
                "Luma's automatic controls decide."
            )
        ),
    ] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Restyle or transform a video as the prompt says (video-to-video); the result keeps its length and shape.

    Costs the user money per call. The result is a new generation with its video_url.
    """
    agents = current_caller().account_for("agents")
    source = await agents_source(video, "video", "video", model=model, tool="edit_video", max_seconds=MAX_EDIT_SECONDS)
    job = ray3_video_edit(prompt, source=await source.reference(), strength=strength)
    return await ToolCall(ctx, agents).start(job, wait)


async def reframe_video(
    ctx: AppCtx,
    video: Annotated[MediaArgument, Field(description="The video to reframe.")],
    aspect_ratio: Annotated[RayAspectRatio, Field(description="The new shape: 9:16, 3:4, 1:1, 4:3, 16:9 or 21:9.")],
    prompt: Annotated[AgentsPrompt, Field(description="What to fill the new parts of the frame with.")],
    model: EditModel = RAY3,
    resolution: Annotated[
        RayResolution | None,
        Field(description="720p by default; 360p, 540p or 1080p (1080p only for 16:9, 21:9, 4:3 and 1:1)."),
    ] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Extend a video's frame to a new aspect ratio (outpainting), keeping the source frame for frame.

    Costs the user money per call. The result is a new generation with its video_url.
    """
    agents = current_caller().account_for("agents")
    check_reframe(aspect_ratio, resolution)
    source = await agents_source(video, "video", "video", model=model, tool="reframe_video")
    job = ray3_reframe(prompt, source=await source.reference(), aspect_ratio=aspect_ratio, resolution=resolution)
    return await ToolCall(ctx, agents).start(job, wait)

"""Changing an existing video or image: edits (video-to-video) and reframes to a new aspect ratio. Every tool here
costs the user money. The model decides the API: Ray 3.2 on the Agents API; ray-2 and ray-flash-2 (videos) and
Photon (images) on the Dream Machine API, which fetches its sources from public URLs. A generation named by id is
changed on the API that made it."""

from typing import Annotated, Literal, NamedTuple, TypedDict, cast, get_args

from pydantic import Field

from ..accounts import current_caller
from ..agents_wire import EditStrength, RayAspectRatio, RayResolution
from ..context import AppCtx
from ..errors.wording import argument_not_on_model, edit_source_of_other_api, reframe_geometry_refused
from ..inputs import check_dream_machine_prompt
from ..lineup import LINEUP, default_video_model, video_pixels
from ..models import (
    AspectRatio,
    Generation,
    MediaUrl,
    ModifyMode,
    ModifyVideoRequest,
    PhotonModel,
    ReframeImageRequest,
    ReframeVideoRequest,
    is_generation_id,
)
from ..ray3_edits import MAX_EDIT_SECONDS, RAY3, check_reframe, ray3_reframe, ray3_video_edit
from .arguments import AgentsPrompt, GenerationOutput, MediaArgument, VideoModel, Wait
from .call import ToolCall, agents_source
from .media import dream_machine_images, dream_machine_source, refuse_local_files

EditModelArg = Annotated[
    VideoModel | None,
    Field(
        description=(
            "ray-3.2 (an Agents API key; takes local files), or ray-2 / ray-flash-2 (the Dream Machine API; public "
            "URLs or generation ids only). Default: a generation's own API (ray-3.2 or ray-2); otherwise ray-3.2 "
            "with an Agents API key, else ray-2."
        )
    ),
]
DEFAULT_DREAM_MACHINE_STRENGTH: ModifyMode = "flex_1"
RAY3_REFRAME_RATIOS: tuple[str, ...] = get_args(RayAspectRatio)
FirstFrame = Annotated[
    str | None,
    Field(
        min_length=1,
        description=(
            "ray-2 / ray-flash-2 only: an image (https URL or a finished generation's id) of the first frame as it "
            "should look afterwards, which Luma follows closely. Optional but recommended."
        ),
    ),
]
GridX = Annotated[
    int | None,
    Field(ge=0, description="Dream Machine only: the source's x position in the new frame, in pixels from the left."),
]
GridY = Annotated[
    int | None,
    Field(ge=0, description="Dream Machine only: the source's y position in the new frame, in pixels from the top."),
]
XStart = Annotated[
    int | None,
    Field(
        ge=0,
        description=(
            "Dream Machine only, with x_end: the left edge of the box the source is placed in, in pixels of the new "
            "frame; x_end - x_start is the width it is resized to."
        ),
    ),
]
XEnd = Annotated[int | None, Field(ge=1, description="Dream Machine only: that box's right edge (more than x_start).")]
YStart = Annotated[
    int | None,
    Field(
        ge=0,
        description=(
            "Dream Machine only, with y_end: the top edge of the box the source is placed in, in pixels of the new "
            "frame; y_end - y_start is the height it is resized to."
        ),
    ),
]
YEnd = Annotated[int | None, Field(ge=1, description="Dream Machine only: that box's bottom edge (more than y_start).")]
ResizedWidth = Annotated[
    int | None,
    Field(ge=1, description="Dream Machine only, with resized_height: the size in pixels to scale the source to."),
]
ResizedHeight = Annotated[int | None, Field(ge=1, description="Dream Machine only: see resized_width.")]


class Geometry(TypedDict):
    """Where the source sits in a Dream Machine reframe's new frame, in pixels (luma-api.md §4.5)."""

    grid_position_x: int | None
    grid_position_y: int | None
    x_start: int | None
    x_end: int | None
    y_start: int | None
    y_end: int | None
    resized_width: int | None
    resized_height: int | None


class DreamMachineSources(NamedTuple):
    media: MediaUrl
    first_frame: MediaUrl | None
    pixels: float | None
    """The source video's pixels, when known (see `_pixels_of`)."""


ReframePrompt = Annotated[
    str | None, Field(max_length=5000, description="What to fill the new parts of the frame with (optional).")
]


async def edit_video(
    ctx: AppCtx,
    video: Annotated[
        MediaArgument,
        Field(
            description=(
                f"The video to edit: at most {MAX_EDIT_SECONDS:g} s on ray-3.2; on ray-2 at most 10 s and on "
                "ray-flash-2 15 s, 100 MB (an https URL or a generation id only)."
            )
        ),
    ],
    prompt: Annotated[AgentsPrompt, Field(description="What the video should become, e.g. 'moonlit 35mm film'.")],
    model: EditModelArg = None,
    strength: Annotated[
        EditStrength | None,
        Field(
            description=(
                "How far to move from the source: adhere_1-3 (closest), flex_1-3, reimagine_1-3 (freest). Left out, "
                f"Luma's automatic controls decide on ray-3.2, and {DEFAULT_DREAM_MACHINE_STRENGTH} is used on ray-2."
            )
        ),
    ] = None,
    first_frame: FirstFrame = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Restyle or transform a video as the prompt says (video-to-video); the result keeps its length and shape.

    Costs the user money per call. The result is a new generation with its video_url.
    """
    chosen = await _model_for(video, model, "video")
    if chosen == RAY3:
        if first_frame is not None:
            raise argument_not_on_model(RAY3, "first_frame", "leave it out, or use model='ray-2'")
        agents = current_caller().account_for("agents")
        source = await agents_source(
            video, "video", "video", model=chosen, tool="edit_video", max_seconds=MAX_EDIT_SECONDS
        )
        job = ray3_video_edit(prompt, source=await source.reference(), strength=strength)
        return await ToolCall(ctx, agents).start(job, wait)
    dream = current_caller().account_for("dream-machine")
    check_dream_machine_prompt(chosen, prompt)
    sources = await _dream_machine_sources(chosen, video, first_frame)
    modify = ModifyVideoRequest(
        model=chosen,
        media=sources.media,
        mode=strength or DEFAULT_DREAM_MACHINE_STRENGTH,
        prompt=prompt,
        first_frame=sources.first_frame,
        source_pixels=sources.pixels,
    )
    return await ToolCall(ctx, dream).start(modify, wait)


async def reframe_video(
    ctx: AppCtx,
    video: Annotated[
        MediaArgument,
        Field(description="The video to reframe (on ray-2 at most 10 s, ray-flash-2 30 s: a URL or generation id)."),
    ],
    aspect_ratio: Annotated[
        AspectRatio,
        Field(description="The new shape: 9:16, 3:4, 1:1, 4:3, 16:9 or 21:9; 9:21 on ray-2 and ray-flash-2 only."),
    ],
    prompt: Annotated[AgentsPrompt, Field(description="What to fill the new parts of the frame with.")],
    model: EditModelArg = None,
    resolution: Annotated[
        RayResolution | None,
        Field(description="ray-3.2 only: 720p by default; 360p, 540p or 1080p (1080p only for 16:9, 21:9, 4:3, 1:1)."),
    ] = None,
    first_frame: FirstFrame = None,
    grid_position_x: GridX = None,
    grid_position_y: GridY = None,
    x_start: XStart = None,
    x_end: XEnd = None,
    y_start: YStart = None,
    y_end: YEnd = None,
    resized_width: ResizedWidth = None,
    resized_height: ResizedHeight = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Extend a video's frame to a new aspect ratio (outpainting), keeping the source frame for frame.

    Costs the user money per call. The result is a new generation with its video_url. On ray-2 / ray-flash-2 the
    source's place in the new frame may be set (grid position, a box, a resized size); Luma centres it otherwise.
    """
    geometry = _geometry(
        Geometry(
            grid_position_x=grid_position_x,
            grid_position_y=grid_position_y,
            x_start=x_start,
            x_end=x_end,
            y_start=y_start,
            y_end=y_end,
            resized_width=resized_width,
            resized_height=resized_height,
        )
    )
    chosen = await _model_for(video, model, "video")
    if chosen == RAY3:
        given = [name for name, value in [*geometry.items(), ("first_frame", first_frame)] if value is not None]
        if given:
            raise argument_not_on_model(RAY3, given[0], "Ray 3.2 places the source itself; use ray-2 to place it")
        if aspect_ratio not in RAY3_REFRAME_RATIOS:
            raise argument_not_on_model(
                RAY3, f"aspect_ratio={aspect_ratio!r}", f"use one of {', '.join(map(repr, RAY3_REFRAME_RATIOS))}"
            )
        check_reframe(cast(RayAspectRatio, aspect_ratio), resolution)
        agents = current_caller().account_for("agents")
        source = await agents_source(video, "video", "video", model=chosen, tool="reframe_video")
        job = ray3_reframe(
            prompt,
            source=await source.reference(),
            aspect_ratio=cast(RayAspectRatio, aspect_ratio),
            resolution=resolution,
        )
        return await ToolCall(ctx, agents).start(job, wait)
    if resolution is not None:
        raise argument_not_on_model(chosen, "resolution", "the Dream Machine API's reframe takes none; leave it out")
    dream = current_caller().account_for("dream-machine")
    check_dream_machine_prompt(chosen, prompt)
    sources = await _dream_machine_sources(chosen, video, first_frame)
    reframe = ReframeVideoRequest(
        model=chosen,
        media=sources.media,
        aspect_ratio=aspect_ratio,
        prompt=prompt,
        first_frame=sources.first_frame,
        **geometry,
    )
    return await ToolCall(ctx, dream).start(reframe, wait)


async def reframe_image(
    ctx: AppCtx,
    image: Annotated[
        MediaArgument,
        Field(description="The image to reframe: a public https URL or a finished generation's id (at most 10 MB)."),
    ],
    aspect_ratio: Annotated[AspectRatio, Field(description="The new shape: 1:1, 16:9, 9:16, 4:3, 3:4, 21:9 or 9:21.")],
    prompt: ReframePrompt = None,
    model: Annotated[
        PhotonModel, Field(description="photon-1, or photon-flash-1 (faster, cheaper); the Dream Machine API.")
    ] = "photon-1",
    output_format: Annotated[Literal["jpeg", "png"] | None, Field(description="jpeg (Luma's default) or png.")] = None,
    grid_position_x: GridX = None,
    grid_position_y: GridY = None,
    x_start: XStart = None,
    x_end: XEnd = None,
    y_start: YStart = None,
    y_end: YEnd = None,
    resized_width: ResizedWidth = None,
    resized_height: ResizedHeight = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Extend an image's frame to a new aspect ratio (outpainting) with Photon, keeping the source as it is.

    Costs the user money per call. The result is a new generation with its image_url. The source may be placed in
    the new frame (grid position, a box, a resized size); Luma centres it otherwise.
    """
    geometry = _geometry(
        Geometry(
            grid_position_x=grid_position_x,
            grid_position_y=grid_position_y,
            x_start=x_start,
            x_end=x_end,
            y_start=y_start,
            y_end=y_end,
            resized_width=resized_width,
            resized_height=resized_height,
        )
    )
    dream = current_caller().account_for("dream-machine")
    source = (await dream_machine_images(model, {"image": image}, agents_model=None, changed="image"))["image"]
    reframe = ReframeImageRequest(
        model=model,
        media=MediaUrl(url=str(source)),
        aspect_ratio=aspect_ratio,
        prompt=prompt,
        format={"jpeg": "jpg", "png": "png", None: None}[output_format],
        **geometry,
    )
    return await ToolCall(ctx, dream).start(reframe, wait)


async def _model_for(source: str, model: VideoModel | None, argument: str) -> VideoModel:
    """The model that changes `source`: the one asked for, else the source's own API's, else the caller's best. A
    generation of ours given to a model of the other API is refused by name, before anything is sent."""
    caller = current_caller()
    made = await caller.made_by(source) if is_generation_id(source) and len(caller.accounts) > 1 else None
    if made is not None and model is not None and LINEUP[model].api != made.api:
        raise edit_source_of_other_api(source, made.api, model, argument)
    if model is not None:
        return model
    if made is not None:
        return RAY3 if made.api == "agents" else "ray-2"
    return default_video_model(caller.accounts)


async def _dream_machine_sources(model: str, video: str, first_frame: str | None) -> DreamMachineSources:
    """The source video and first frame as the public URLs the Dream Machine API fetches; a local file among them is
    refused before any generation is looked up."""
    refuse_local_files(model, {"first_frame": first_frame})
    refuse_local_files(model, {"video": video}, "video")
    media, made = await dream_machine_source(video, "video", "video")
    first = (await dream_machine_source(first_frame, "first_frame", "image"))[0] if first_frame else None
    return DreamMachineSources(MediaUrl(url=media), MediaUrl(url=first) if first else None, _pixels_of(made))


def _pixels_of(video: Generation | None) -> float | None:
    """Every pixel of a Dream Machine video of ours made in one go, by what was asked of it (the lineup's defaults
    where nothing was): what Luma charges a modify by. None for any other source: an extended, upscaled or edited
    video's length or size is not in its request."""
    request = (video.request or {}) if video else {}
    frames = [keyframe for keyframe in (request.get("keyframes") or {}).values() if isinstance(keyframe, dict)]
    made_in_one_go = request.get("generation_type", "video") == "video" and all(
        keyframe.get("type") != "generation" for keyframe in frames
    )
    if video is None or video.api != "dream-machine" or not request or not made_in_one_go:
        return None
    options = LINEUP["ray-2"].options
    resolution = str(request.get("resolution") or options["resolution"][0])
    duration = str(request.get("duration") or options["duration"][0])
    aspect_ratio = str(request.get("aspect_ratio") or options["aspect_ratio"][0])
    return video_pixels(resolution, aspect_ratio, float(duration.rstrip("s")))


def _geometry(given: Geometry) -> Geometry:
    """Where the source sits in a Dream Machine reframe, refused before sending when it cannot describe a place: a
    box needs both its edges, start before end, and a resized size both its sides."""
    _edges("x_start", given["x_start"], "x_end", given["x_end"])
    _edges("y_start", given["y_start"], "y_end", given["y_end"])
    width, height = given["resized_width"], given["resized_height"]
    if (width is None) != (height is None):
        raise reframe_geometry_refused(
            f"resized_width={width}, resized_height={height}", "give both resized_width and resized_height, or neither"
        )
    return given


def _edges(start: str, low: int | None, end: str, high: int | None) -> None:
    if (low is None) != (high is None):
        raise reframe_geometry_refused(f"{start}={low}, {end}={high}", f"give both {start} and {end}, or neither")
    if low is not None and high is not None and low >= high:
        raise reframe_geometry_refused(
            f"{start}={low}, {end}={high}", f"{start} must be less than {end} (they are the box's edges)"
        )

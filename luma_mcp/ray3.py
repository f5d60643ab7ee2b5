"""Ray 3.2 video requests (the Agents API), and every rule Luma applies to their options, checked here first.

`create_generation` takes one set of arguments for every video model. What one model lacks is refused by name
with what to do instead, and Ray 3.2's combinations that Luma would refuse (luma-agents-api.md §4.3) are refused
before a request leaves, so a mistake costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from .agents_wire import (
    FRAMES_PER_SECOND,
    AgentsRequest,
    ImageRef,
    RayAspectRatio,
    RayDuration,
    RayResolution,
    VideoOptions,
)
from .errors.wording import (
    argument_not_on_model,
    keyframe_past_the_end,
    keyframes_share_a_frame,
    option_not_on_model,
    options_conflict,
)

RAY3: Literal["ray-3.2"] = "ray-3.2"
RAY3_RESOLUTIONS: tuple[str, ...] = get_args(RayResolution)
RAY3_DURATIONS: tuple[str, ...] = get_args(RayDuration)
RAY3_ASPECT_RATIOS: tuple[str, ...] = get_args(RayAspectRatio)
HDR_RESOLUTIONS = ("720p", "1080p")
DEFAULT_RESOLUTION = "720p"
DEFAULT_DURATION = "5s"


def ray3_video(
    prompt: str,
    *,
    resolution: str | None,
    duration: str | None,
    aspect_ratio: str | None,
    loop: bool,
    hdr: bool,
    start_image: ImageRef | None = None,
    end_image: ImageRef | None = None,
    keyframes: Sequence[tuple[ImageRef, int]] = (),
    extends: tuple[str, str] | None = None,
) -> AgentsRequest:
    """A text-to-video, image-to-video, keyframed or extend request for Ray 3.2. `keyframes` are `(image, frame)`
    on the 24 fps output grid. `extends` is `(generation_id, direction)`: forward starts from the end of that video
    (its `start_frame`), backward leads into it (its `end_frame`).

    Only whether each image is given matters to the rules, so a caller can check a request with stand-in images
    (`ImageRef()`) before it uploads or looks up any."""
    resolution = resolution or DEFAULT_RESOLUTION
    duration = duration or DEFAULT_DURATION
    _one_of("resolution", resolution, RAY3_RESOLUTIONS, "4k is made by ray-2 and ray-flash-2")
    _one_of("duration", duration, RAY3_DURATIONS, "9s is made by ray-2 and ray-flash-2")
    if aspect_ratio is not None:
        _one_of("aspect_ratio", aspect_ratio, RAY3_ASPECT_RATIOS, "9:21 is made by ray-2 and ray-flash-2")
    start, end = start_image, end_image
    start_name, end_name = "start_image_url", "end_image_url"
    if extends is not None:
        source, direction = extends
        if direction == "forward":
            start, start_name = ImageRef(generation_id=source), "extending forward"
        else:
            end, end_name = ImageRef(generation_id=source), "extending backward"
    if keyframes:
        _check_keyframes(keyframes, duration)
        for given, name, instead in (
            (start is not None, start_name, "put the start image in keyframes at frame 0 instead"),
            (end is not None, end_name, "put the end image in keyframes at the last frame instead"),
            (loop, "loop=true", "drop loop, or drop keyframes and loop from start_image_url"),
        ):
            if given:
                raise options_conflict(RAY3, "keyframes", name, instead)
    if duration == "10s":
        instead = "use duration='5s' to start or end on an image"
        if extends is None:
            instead += ", or keyframes (the start image at frame 0) for a 10s video"
        for image, name in ((start, start_name), (end, end_name)):
            if image is not None:
                raise options_conflict(RAY3, "duration='10s'", name, instead)
        if hdr and not keyframes:
            raise options_conflict(
                RAY3, "duration='10s'", "hdr=true", "use duration='5s' for an HDR video, or give keyframes"
            )
        if loop:
            raise options_conflict(RAY3, "duration='10s'", "loop=true", "use duration='5s' for a looping video")
    if loop and hdr:
        raise options_conflict(RAY3, "loop=true", "hdr=true", "choose one of them")
    if loop and end is not None:
        raise options_conflict(RAY3, "loop=true", end_name, "a loop ends where it starts; drop the end")
    if hdr and resolution not in HDR_RESOLUTIONS:
        raise options_conflict(RAY3, "hdr=true", f"resolution={resolution!r}", "use 720p or 1080p for HDR")
    options = VideoOptions(
        resolution=resolution,  # type: ignore[arg-type]  # checked above
        duration=duration,  # type: ignore[arg-type]
        hdr=hdr or None,
        loop=loop or None,
        start_frame=start,
        end_frame=end,
        keyframes=[image for image, _ in keyframes] or None,
        keyframe_indexes=[frame for _, frame in keyframes] or None,
    )
    return AgentsRequest(prompt=prompt, model=RAY3, type="video", aspect_ratio=aspect_ratio, video=options)


def refuse_ray3_options(
    model: str, *, resolution: str | None, duration: str | None, hdr: bool, keyframes: object = None
) -> None:
    """On a Dream Machine model, the options only Ray 3.2 has are refused by name."""
    if hdr:
        raise argument_not_on_model(model, "hdr", "HDR video is made by ray-3.2 (an Agents API key)")
    if keyframes:
        raise argument_not_on_model(
            model, "keyframes", "keyframed video is made by ray-3.2 (an Agents API key); here use start_image_url"
        )
    if resolution == "360p":
        raise option_not_on_model(model, "resolution", resolution, ("540p", "720p", "1080p", "4k"), "360p is ray-3.2's")
    if duration == "10s":
        raise option_not_on_model(model, "duration", duration, ("5s", "9s"), "10s is made by ray-3.2")


def refuse_dream_machine_options(*, concepts: object, callback_url: object) -> None:
    """On Ray 3.2, the options only the Dream Machine API has are refused by name."""
    if concepts:
        raise argument_not_on_model(RAY3, "concepts", "write the camera move into the prompt instead")
    if callback_url:
        raise argument_not_on_model(RAY3, "callback_url", "the Agents API sends no callbacks; wait=true waits here")


def _check_keyframes(keyframes: Sequence[tuple[ImageRef, int]], duration: str) -> None:
    """Frames on the output's 24 fps grid, within its length, one image each."""
    last = int(duration.removesuffix("s")) * FRAMES_PER_SECOND
    seen: set[int] = set()
    for position, (_, frame) in enumerate(keyframes):
        if frame > last:
            raise keyframe_past_the_end(position, frame, duration, last)
        if frame in seen:
            raise keyframes_share_a_frame(frame)
        seen.add(frame)


def _one_of(argument: str, value: str, allowed: tuple[str, ...], elsewhere: str) -> None:
    if value not in allowed:
        raise option_not_on_model(RAY3, argument, value, allowed, elsewhere)

"""Ray 3.2's ``video`` options: which fields each type takes, and which settings cannot go together.

A field given to a type that does not take it is a 400; settings that are each fine but clash are a 422 (Luma's
"bad parameter combination"). Luma's wording for these refusals is not recorded: every message here is inferred.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from luma_mcp.emulator.agents.errors import InvalidParameter, Unprocessable
from luma_mcp.emulator.agents.fields import choice, flag, json_object, listed, number, optional_object
from luma_mcp.emulator.agents.refs import MediaRefs
from luma_mcp.emulator.agents.vocabulary import (
    DEFAULT_DURATION,
    DEFAULT_RESOLUTION,
    DURATION_SECONDS,
    EDIT_CONTROLS,
    EDIT_STRENGTHS,
    FRAMES_PER_SECOND,
    HDR_RESOLUTIONS,
    MAX_KEYFRAMES,
    POSE_STRENGTHS,
    REFRAME_1080P_COMING_SOON,
    RESOLUTIONS,
)

# The video fields only some types take (any other type refuses them with a 400).
_TYPES_TAKING = {
    "loop": ("video",),
    "keyframes": ("video",),
    "keyframe_indexes": ("video",),
    "start_frame": ("video", "video_edit"),
    "end_frame": ("video",),
    "edit": ("video_edit",),
    "source_position": ("video_reframe",),
    "hdr": ("video", "video_edit"),
    "exr_export": ("video", "video_edit"),
}
_SOURCE_POSITION = ("x_norm", "y_norm", "w_norm", "h_norm")


@dataclass(frozen=True)
class VideoRequest:
    """What a valid ``video`` asks for, as far as pricing and the output need to know."""

    resolution: str
    duration: str
    hdr: bool
    exr_export: bool
    seconds: float | None
    """How long the output runs: the duration asked for, or the source's length (when known) for an edit."""


def video_request(
    value: Any,
    *,
    generation_type: str,
    aspect_ratio: str | None,
    source_seconds: float | None,
    refs: MediaRefs,
    hdr_access: bool,
) -> VideoRequest:
    options = {} if value is None else json_object(value, "video")
    for name, types in _TYPES_TAKING.items():
        if options.get(name) not in (None, False) and generation_type not in types:
            listed_types = " and ".join(f"'{t}'" for t in types)
            raise InvalidParameter(f"video.{name} is only valid for type {listed_types}, not '{generation_type}'")
    resolution = choice(options, "resolution", RESOLUTIONS, "video.resolution") or DEFAULT_RESOLUTION
    duration = choice(options, "duration", tuple(DURATION_SECONDS), "video.duration") or DEFAULT_DURATION
    hdr = flag(options, "hdr", "video.hdr")
    exr_export = flag(options, "exr_export", "video.exr_export")
    loop = flag(options, "loop", "video.loop")
    start = options.get("start_frame") is not None
    end = options.get("end_frame") is not None
    extends = [
        refs.frame(options[name], f"video.{name}")
        for name in ("start_frame", "end_frame")
        if options.get(name) is not None
    ]
    keyframes = _keyframes(
        options, "video.", refs, last_index=DURATION_SECONDS[duration] * FRAMES_PER_SECOND, grid=f"a {duration} video"
    )
    edit_keyframes = _edit(options.get("edit"), refs, source_seconds)
    if options.get("source_position") is not None:
        _source_position(options["source_position"])
    if hdr and not hdr_access:
        raise InvalidParameter("video.hdr requires HDR access, which this API client does not have")
    ten_seconds = generation_type == "video" and duration == "10s"
    clashes = [
        (
            ten_seconds and hdr and not keyframes,
            "video.duration '10s' cannot be combined with video.hdr without keyframes",
        ),
        (ten_seconds and start, "video.duration '10s' cannot be combined with video.start_frame; use video.keyframes"),
        (ten_seconds and end, "video.duration '10s' cannot be combined with video.end_frame"),
        (ten_seconds and loop, "video.duration '10s' cannot be combined with video.loop"),
        (loop and hdr, "video.loop cannot be combined with video.hdr"),
        (loop and end, "video.loop cannot be combined with video.end_frame"),
        (keyframes and start, "video.keyframes cannot be combined with video.start_frame"),
        (keyframes and end, "video.keyframes cannot be combined with video.end_frame"),
        (keyframes and loop, "video.keyframes cannot be combined with video.loop"),
        (edit_keyframes and start, "video.edit.keyframes cannot be combined with video.start_frame"),
        (
            hdr and resolution not in HDR_RESOLUTIONS,
            f"video.hdr needs video.resolution 720p or 1080p, not {resolution}",
        ),
        (exr_export and not hdr, "video.exr_export requires video.hdr"),
        (
            len(extends) == 2 and any(extends),
            "Interpolating between a prior generation and another frame is not available yet",
        ),
        (
            generation_type == "video_reframe" and resolution == "1080p" and aspect_ratio in REFRAME_1080P_COMING_SOON,
            f"video_reframe at 1080p is coming soon for aspect_ratio '{aspect_ratio}'; use 720p, or a landscape or "
            "square aspect_ratio",
        ),
    ]
    for clashing, detail in clashes:
        if clashing:
            raise Unprocessable(detail)
    seconds = float(DURATION_SECONDS[duration]) if generation_type == "video" else source_seconds
    return VideoRequest(resolution, duration, hdr, exr_export, seconds)


def _keyframes(options: dict[str, Any], prefix: str, refs: MediaRefs, *, last_index: int | None, grid: str) -> bool:
    """Check ``keyframes`` and their parallel ``keyframe_indexes``; say whether there are any."""
    frames = listed(options, "keyframes", f"{prefix}keyframes")
    indexes = listed(options, "keyframe_indexes", f"{prefix}keyframe_indexes")
    if frames is None:
        if indexes is not None:
            raise InvalidParameter(f"{prefix}keyframe_indexes needs {prefix}keyframes")
        return False
    if not 1 <= len(frames) <= MAX_KEYFRAMES:
        raise InvalidParameter(f"{prefix}keyframes must list 1 to {MAX_KEYFRAMES} images, not {len(frames)}")
    for position, frame in enumerate(frames):
        refs.image(frame, f"{prefix}keyframes[{position}]")
    if indexes is None or len(indexes) != len(frames):
        given = 0 if indexes is None else len(indexes)
        raise InvalidParameter(
            f"{prefix}keyframe_indexes must give one frame index per keyframe "
            f"({len(frames)} keyframes, {given} indexes)"
        )
    for position, index in enumerate(indexes):
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidParameter(f"{prefix}keyframe_indexes[{position}] must be a non-negative integer")
        if last_index is not None and index > last_index:
            raise InvalidParameter(
                f"{prefix}keyframe_indexes[{position}] is {index}, past the last frame index of {grid} "
                f"at {FRAMES_PER_SECOND} fps (0..{last_index})"
            )
    repeated = [index for index, count in Counter(indexes).items() if count > 1]
    if repeated:
        raise InvalidParameter(f"{prefix}keyframe_indexes must be unique; {repeated[0]} appears more than once")
    return True


def _edit(value: Any, refs: MediaRefs, source_seconds: float | None) -> bool:
    """Check ``video.edit``; say whether it has keyframes (indexed on the source's frames, when its length is known)."""
    if value is None:
        return False
    edit = json_object(value, "video.edit")
    flag(edit, "auto_controls", "video.edit.auto_controls")
    choice(edit, "strength", EDIT_STRENGTHS, "video.edit.strength")
    controls = optional_object(edit, "controls", "video.edit.controls")
    for name in controls:
        if name not in EDIT_CONTROLS:
            raise InvalidParameter(f"Invalid video.edit.controls '{name}'. Valid: {', '.join(EDIT_CONTROLS)}")
        path = f"video.edit.controls.{name}"
        settings = optional_object(controls, name, path)
        flag(settings, "enabled", f"{path}.enabled")
        for amount in EDIT_CONTROLS[name]:
            number(settings, amount, f"{path}.{amount}", low=0, high=1)
        if name == "pose":
            choice(settings, "strength", POSE_STRENGTHS, f"{path}.strength")
    last_index = None if source_seconds is None else round(source_seconds * FRAMES_PER_SECOND)
    return _keyframes(edit, "video.edit.", refs, last_index=last_index, grid="the source video")


def _source_position(value: Any) -> None:
    position = json_object(value, "video.source_position")
    if any(
        isinstance(position.get(name), bool) or not isinstance(position.get(name), int | float)
        for name in _SOURCE_POSITION
    ):
        raise InvalidParameter("video.source_position needs x_norm, y_norm, w_norm and h_norm, each a number")
    for name in ("w_norm", "h_norm"):
        if not 0 < position[name] <= 2:
            raise InvalidParameter(f"video.source_position.{name} must be more than 0 and at most 2")

"""Ray 3.2's changes to an existing video (the Agents API): video-to-video edits and reframes to a new aspect ratio,
with every rule Luma applies to them (luma-agents-api.md §4.4, §4.5) checked here first, so a mistake costs nothing.
"""

from __future__ import annotations

import mimetypes
from typing import Literal

from .agents_wire import AgentsRequest, EditStrength, ImageRef, RayAspectRatio, RayResolution, VideoEdit, VideoOptions
from .errors.wording import options_conflict

RAY3: Literal["ray-3.2"] = "ray-3.2"
MAX_EDIT_SECONDS = 18.0
REFRAME_1080P_ASPECT_RATIOS = ("16:9", "21:9", "4:3", "1:1")
"""Luma reframes to 1080p only for landscape and square targets; 9:16 and 3:4 are "not yet available"."""


def check_reframe(aspect_ratio: RayAspectRatio, resolution: RayResolution | None) -> None:
    if resolution == "1080p" and aspect_ratio not in REFRAME_1080P_ASPECT_RATIOS:
        raise options_conflict(
            RAY3,
            "resolution='1080p'",
            f"aspect_ratio={aspect_ratio!r} in a reframe",
            f"Luma reframes to 1080p only for {', '.join(REFRAME_1080P_ASPECT_RATIOS)}; use 720p for a portrait target",
        )


def ray3_video_edit(prompt: str, *, source: ImageRef, strength: EditStrength | None) -> AgentsRequest:
    """Luma's automatic controls unless a `strength` is chosen (adhere keeps closest to the source, reimagine least)."""
    edit = VideoEdit(strength=strength) if strength else VideoEdit(auto_controls=True)
    return AgentsRequest(
        prompt=prompt, model=RAY3, type="video_edit", source=as_video(source), video=VideoOptions(edit=edit)
    )


def ray3_reframe(
    prompt: str, *, source: ImageRef, aspect_ratio: RayAspectRatio, resolution: RayResolution | None
) -> AgentsRequest:
    """Outpaint `source` to `aspect_ratio`, as checked by `check_reframe`."""
    return AgentsRequest(
        prompt=prompt,
        model=RAY3,
        type="video_reframe",
        aspect_ratio=aspect_ratio,
        source=as_video(source),
        video=VideoOptions(resolution=resolution) if resolution else None,
    )


def as_video(source: ImageRef) -> ImageRef:
    """Luma needs a video source's media type with its URL; one the reference lacks is read off the URL's name."""
    if source.url is None or source.media_type is not None:
        return source
    guessed, _ = mimetypes.guess_type(source.url.split("?", 1)[0])
    media_type = guessed if guessed and guessed.startswith("video/") else "video/mp4"
    return source.model_copy(update={"media_type": media_type})

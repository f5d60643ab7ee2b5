"""Uni-1 image requests (the Agents API): text-to-image, image edits and layer splitting, and every rule Luma applies
to their options (luma-agents-api.md §3, §4), checked here first, so a mistake costs nothing.

The checks run before any image argument is resolved (a local file is uploaded to Luma on the way), so a request
refused for its shape uploads nothing either.
"""

from __future__ import annotations

from typing import Literal

from .agents_wire import AgentsRequest, ImageRef, Layering
from .errors.wording import option_not_on_model, options_conflict, too_many_images
from .lineup import IMAGE_ASPECT_RATIOS

UNI1: Literal["uni-1"] = "uni-1"
ImageModel = Literal["uni-1", "uni-1-max"]
ImageStyle = Literal["auto", "manga"]
ImageFormat = Literal["png", "jpeg"]
LayerResolution = Literal["1k", "2k"]
MANGA_ASPECT_RATIOS = ("2:3", "9:16", "1:2", "1:3")
MANGA_DEFAULT_ASPECT_RATIO = "2:3"
MAX_REFERENCES = {"image": 9, "image_edit": 8}
_WHY_AT_MOST = {
    "image": "Uni-1 reads at most nine images",
    "image_edit": "Uni-1 reads at most nine images, and the image being edited is one of them",
}


def check_references(job_type: Literal["image", "image_edit"], count: int) -> None:
    most = MAX_REFERENCES[job_type]
    if count > most:
        raise too_many_images("image_refs", count, most, _WHY_AT_MOST[job_type])


def check_image_options(model: str, aspect_ratio: str | None, style: ImageStyle | None) -> None:
    if aspect_ratio is not None and aspect_ratio not in IMAGE_ASPECT_RATIOS:
        raise option_not_on_model(
            model, "aspect_ratio", aspect_ratio, IMAGE_ASPECT_RATIOS, "leave it out to let the model choose"
        )
    if style == "manga" and aspect_ratio is not None and aspect_ratio not in MANGA_ASPECT_RATIOS:
        raise options_conflict(
            model,
            "style='manga'",
            f"aspect_ratio={aspect_ratio!r}",
            f"manga pages are portrait, so use {', '.join(MANGA_ASPECT_RATIOS)}",
        )


def uni1_image(
    prompt: str,
    *,
    model: ImageModel,
    aspect_ratio: str | None,
    references: list[ImageRef],
    style: ImageStyle | None,
    output_format: ImageFormat | None,
) -> AgentsRequest:
    """A text-to-image request, with its options checked by `check_image_options` and `check_references`."""
    return AgentsRequest(
        prompt=prompt,
        model=model,
        type="image",
        aspect_ratio=aspect_ratio,
        image_ref=references or None,
        style=style,
        output_format=output_format,
    )


def uni1_edit(
    prompt: str,
    *,
    model: ImageModel,
    source: ImageRef,
    references: list[ImageRef],
    style: ImageStyle | None = None,
    output_format: ImageFormat | None = None,
) -> AgentsRequest:
    """An edit of `source`; it keeps the source's shape, so it takes no aspect ratio."""
    return AgentsRequest(
        prompt=prompt,
        model=model,
        type="image_edit",
        source=source,
        image_ref=references or None,
        style=style,
        output_format=output_format,
    )


def uni1_layers(source: ImageRef, *, prompt: str | None, resolution: LayerResolution | None) -> AgentsRequest:
    """Split `source` into layers; Luma plans them itself, `prompt` only guides it."""
    return AgentsRequest(
        prompt=prompt,
        model=UNI1,
        type="layering",
        source=source,
        layering=Layering(resolution=resolution) if resolution else None,
    )

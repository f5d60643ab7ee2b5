"""Photon image requests (the Dream Machine API): images from text guided by weighted reference, style and
character images, and changes of one image (`modify_image_ref`), with the limits Luma documents (luma-api.md §4.2)
checked here first, so a mistake costs nothing.

The checks run before any image argument is looked up (a generation id becomes its image's URL on the way), so a
request refused for its shape sends nothing at all. Photon's `sync` mode is not used: a create is waited for as
every other job is, within the call's time limit.
"""

from __future__ import annotations

from typing import Literal, cast

from .errors.wording import argument_not_on_model, option_not_on_model, too_many_images
from .lineup import PHOTON_ASPECT_RATIOS
from .models import AspectRatio, Character, ImageRequest, PhotonModel, WeightedUrl

PHOTON_MODELS: tuple[PhotonModel, ...] = ("photon-1", "photon-flash-1")
MAX_IMAGE_REFS = 4
"""Luma's docs: "up to 4 images" (its own MCP server's README says 8; the docs are the API's word)."""
MAX_CHARACTER_IMAGES = 4
"""Luma's docs: up to 4 images of the same person."""
_LUMA_FORMAT: dict[str, Literal["jpg", "png"]] = {"jpeg": "jpg", "png": "png"}
UNI1_ONLY = "it is a Uni-1 option: use model='uni-1' (an Agents API key)"
PHOTON_ONLY = "it is a Photon option: use model='photon-1' or 'photon-flash-1' (the Dream Machine API)"


def refuse_options(model: str, why: str, **given: object) -> None:
    """Each option of `given` that was set is one `model` lacks: refused by its name, with `why`."""
    for argument, value in given.items():
        if value is not None:
            raise argument_not_on_model(model, argument, why)


def check_photon_options(model: str, *, aspect_ratio: str | None, image_refs: int, character_refs: int) -> None:
    if aspect_ratio is not None and aspect_ratio not in PHOTON_ASPECT_RATIOS:
        raise option_not_on_model(
            model, "aspect_ratio", aspect_ratio, PHOTON_ASPECT_RATIOS, "leave it out for 16:9, Photon's default"
        )
    if image_refs > MAX_IMAGE_REFS:
        raise too_many_images("image_refs", image_refs, MAX_IMAGE_REFS, "Luma takes up to 4 reference images on Photon")
    if character_refs > MAX_CHARACTER_IMAGES:
        raise too_many_images(
            "character_refs", character_refs, MAX_CHARACTER_IMAGES, "Photon takes up to 4 images of one person"
        )


def photon_image(
    prompt: str,
    *,
    model: PhotonModel,
    aspect_ratio: str | None = None,
    output_format: str | None = None,
    image_refs: list[WeightedUrl] | None = None,
    style_ref: WeightedUrl | None = None,
    character: list[str] | None = None,
    modify: WeightedUrl | None = None,
) -> ImageRequest:
    """A Photon request with its options checked by `check_photon_options`; `character` is one person's images."""
    return ImageRequest(
        model=model,
        prompt=prompt,
        aspect_ratio=cast(AspectRatio | None, aspect_ratio),  # checked against the seven
        format=_LUMA_FORMAT[output_format] if output_format else None,
        image_ref=image_refs or None,
        style_ref=[style_ref] if style_ref else None,
        character_ref={"identity0": Character(images=character)} if character else None,
        modify_image_ref=modify,
    )

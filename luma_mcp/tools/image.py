"""Making and changing images with Uni-1 (the Agents API): every tool here costs the user money."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..accounts import current_caller
from ..context import AppCtx
from ..errors.wording import argument_not_on_model
from ..lineup import IMAGE_ASPECT_RATIOS
from ..uni1 import (
    MANGA_DEFAULT_ASPECT_RATIO,
    UNI1,
    ImageFormat,
    ImageModel,
    ImageStyle,
    LayerResolution,
    check_image_options,
    check_references,
    uni1_edit,
    uni1_image,
    uni1_layers,
)
from .arguments import AgentsPrompt, GenerationOutput, MediaArgument, Wait
from .call import ToolCall, agents_source
from .media import CheckedMedia, checked_media


class WeightedImage(BaseModel):
    """A reference image with a weight, for an API that weighs its references."""

    model_config = ConfigDict(extra="forbid")

    image: MediaArgument
    weight: Annotated[float | None, Field(ge=0, le=1, description="0 to 1; Uni-1 takes no weights.")] = None


ImageRefs = Annotated[
    list[MediaArgument | WeightedImage] | None,
    Field(
        description=(
            "Reference images for style, subject or composition: each an https URL, the id of a finished "
            "generation or a local file path (or {'image': ..., 'weight': w} where a model takes weights; Uni-1 "
            "does not). Up to 9 for generate_image, 8 for edit_image."
        )
    ),
]
ImageModelArg = Annotated[
    ImageModel | None,
    Field(description="uni-1 (the default; $0.04 an image) or uni-1-max (higher quality, $0.10); an Agents API key."),
]


async def generate_image(
    ctx: AppCtx,
    prompt: Annotated[AgentsPrompt, Field(description="What the image shows.")],
    model: ImageModelArg = None,
    aspect_ratio: Annotated[
        str | None,
        Field(description=f"One of {', '.join(IMAGE_ASPECT_RATIOS)}; left out, the model chooses (16:9 suits most)."),
    ] = None,
    image_refs: ImageRefs = None,
    style: Annotated[
        ImageStyle | None,
        Field(description="auto (the default) or manga, which needs a portrait aspect_ratio (2:3 when none is given)."),
    ] = None,
    output_format: Annotated[ImageFormat | None, Field(description="png or jpeg; left out, the model chooses.")] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Make an image from a text prompt, optionally guided by up to 9 reference images (2K output, one image a call).

    Costs the user money per call. Returns the generation with its image_url when done; if it is still running,
    call get_generation with wait=true rather than creating it again.
    """
    agents = current_caller().account_for("agents")
    chosen: ImageModel = model or UNI1
    check_references("image", len(image_refs or ()))
    check_image_options(chosen, aspect_ratio, style)
    if style == "manga" and aspect_ratio is None:
        aspect_ratio = MANGA_DEFAULT_ASPECT_RATIO  # Luma refuses manga in the landscape shape it would choose
    references = await _references(image_refs, chosen)
    job = uni1_image(
        prompt,
        model=chosen,
        aspect_ratio=aspect_ratio,
        references=[await reference.reference() for reference in references],
        style=style,
        output_format=output_format,
    )
    return await ToolCall(ctx, agents).start(job, wait)


async def edit_image(
    ctx: AppCtx,
    image: Annotated[MediaArgument, Field(description="The image to edit.")],
    prompt: Annotated[AgentsPrompt, Field(description="What to change, e.g. 'make the sky a stormy sunset'.")],
    model: ImageModelArg = None,
    image_refs: ImageRefs = None,
    style: Annotated[
        ImageStyle | None, Field(description="auto (the default) or manga (a portrait source suits it).")
    ] = None,
    output_format: Annotated[ImageFormat | None, Field(description="png or jpeg; left out, the model chooses.")] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Edit an image as the prompt says, optionally guided by up to 8 reference images; the result keeps its shape.

    Costs the user money per call. The result is a new generation with its image_url.
    """
    agents = current_caller().account_for("agents")
    chosen: ImageModel = model or UNI1
    check_references("image_edit", len(image_refs or ()))
    source = await agents_source(image, "image", "image", model=chosen, tool="edit_image")
    references = await _references(image_refs, chosen)
    job = uni1_edit(
        prompt,
        model=chosen,
        source=await source.reference(),  # every image checked: only now is any uploaded or looked up
        references=[await reference.reference() for reference in references],
        style=style,
        output_format=output_format,
    )
    return await ToolCall(ctx, agents).start(job, wait)


async def split_image_layers(
    ctx: AppCtx,
    image: Annotated[MediaArgument, Field(description="The image to split into layers.")],
    prompt: Annotated[
        str | None,
        Field(max_length=500, description="Optional guidance, e.g. 'separate the subject, props, background'."),
    ] = None,
    resolution: Annotated[
        LayerResolution | None, Field(description="1k (the default) or 2k (costs more a layer).")
    ] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Split an image into transparent PNG layers (front to back, the background last), each with a label.

    Costs the user money per call (uni-1). Returns every layer's URL with its label and index in outputs.
    """
    agents = current_caller().account_for("agents")
    source = await agents_source(image, "image", "image", model=UNI1, tool="split_image_layers")
    job = uni1_layers(await source.reference(), prompt=prompt or None, resolution=resolution)
    return await ToolCall(ctx, agents).start(job, wait)


async def _references(given: list[str | WeightedImage] | None, model: str) -> list[CheckedMedia]:
    """Each reference checked as the Agents API takes it; a weight is refused first, as Uni-1 weighs them all alike."""
    images = []
    for position, reference in enumerate(given or ()):
        if isinstance(reference, WeightedImage):
            if reference.weight is not None:
                raise argument_not_on_model(
                    model, f"image_refs[{position}].weight", "Uni-1 weighs every reference alike"
                )
            reference = reference.image
        images.append(reference)
    return [
        await checked_media(image, f"image_refs[{position}]", "image", by_id=False)
        for position, image in enumerate(images)
    ]

"""Making and changing images with Uni-1 (the Agents API) or Photon (the Dream Machine API): every tool here costs the
user money. The model decides the API."""

from typing import Annotated, Literal, cast

from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from ..accounts import current_caller
from ..context import AppCtx
from ..errors.wording import argument_not_on_model
from ..inputs import check_dream_machine_prompt
from ..lineup import IMAGE_ASPECT_RATIOS, PHOTON_ASPECT_RATIOS, default_image_model
from ..models import PhotonModel, WeightedUrl
from ..photon import PHOTON_MODELS, PHOTON_ONLY, UNI1_ONLY, check_photon_options, photon_image, refuse_options
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
from .media import CheckedMedia, checked_media, dream_machine_images


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
            "generation or (Uni-1 only) a local file path, or {'image': ..., 'weight': w} on Photon, which weighs "
            "them. Up to 9 for generate_image, 8 for edit_image on Uni-1; up to 4 on Photon."
        )
    ),
]
ImageModelArg = Annotated[
    Literal["uni-1", "uni-1-max", "photon-1", "photon-flash-1"] | None,
    Field(
        description=(
            "uni-1 ($0.04 an image) or uni-1-max (higher quality, $0.10): the Agents API. photon-1 (about $0.01) or "
            "photon-flash-1 (faster, about $0.003): the Dream Machine API, public URLs only. Default: uni-1 with an "
            "Agents API key, else photon-1."
        )
    ),
]
PhotonImage = Annotated[
    MediaArgument | WeightedImage | None,
    Field(description="Photon only: an https URL or the id of a finished generation, or {'image': ..., 'weight': w}."),
]


async def generate_image(
    ctx: AppCtx,
    prompt: Annotated[AgentsPrompt, Field(description="What the image shows.")],
    model: ImageModelArg = None,
    aspect_ratio: Annotated[
        str | None,
        Field(
            description=(
                f"Uni-1: one of {', '.join(IMAGE_ASPECT_RATIOS)}; left out, the model chooses (16:9 suits most). "
                f"Photon: one of {', '.join(PHOTON_ASPECT_RATIOS)}; 16:9 when left out."
            )
        ),
    ] = None,
    image_refs: ImageRefs = None,
    style: Annotated[
        ImageStyle | None,
        Field(
            description=(
                "Uni-1 only: auto (the default) or manga, which needs a portrait aspect_ratio (2:3 when none is given)."
            )
        ),
    ] = None,
    output_format: Annotated[
        ImageFormat | None, Field(description="png or jpeg; left out, Uni-1 chooses and Photon makes a jpeg.")
    ] = None,
    style_ref: Annotated[PhotonImage, Field(description="Photon only: an image whose style to follow.")] = None,
    character_refs: Annotated[
        list[MediaArgument] | None,
        Field(description="Photon only: up to 4 images of one person, who then appears in the image."),
    ] = None,
    modify_image_ref: Annotated[
        PhotonImage, Field(description="Photon only: an image to change as the prompt says (edit_image does this).")
    ] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Make an image from a text prompt with Uni-1 or Photon, optionally guided by reference images (one a call).

    Uni-1: 2K, up to 9 references. Photon: up to 4 weighted references, a style image, a person's likeness. Costs
    the user money per call. Returns the generation with its image_url when done; if it is still running, call
    get_generation with wait=true rather than creating it again.
    """
    picked = model or default_image_model(set(current_caller().accounts))
    if picked in PHOTON_MODELS:
        refuse_options(picked, UNI1_ONLY, style=style)
        return await _photon(
            ctx,
            prompt,
            picked,
            wait,
            aspect_ratio=aspect_ratio,
            output_format=output_format,
            image_refs=image_refs,
            style_ref=style_ref,
            character_refs=character_refs,
            modify_image_ref=modify_image_ref,
        )
    chosen = cast(ImageModel, picked)
    refuse_options(
        chosen, PHOTON_ONLY, style_ref=style_ref, character_refs=character_refs, modify_image_ref=modify_image_ref
    )
    agents = current_caller().account_for("agents")
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
        ImageStyle | None, Field(description="Uni-1 only: auto (the default) or manga (a portrait source suits it).")
    ] = None,
    output_format: Annotated[
        ImageFormat | None, Field(description="png or jpeg; left out, Uni-1 chooses and Photon makes a jpeg.")
    ] = None,
    weight: Annotated[
        float | None,
        Field(ge=0, le=1, description="Photon only: the weight Luma gives the image being edited, 0 to 1."),
    ] = None,
    wait: Wait = True,
) -> GenerationOutput:
    """Edit an image as the prompt says, optionally guided by reference images (up to 8 on Uni-1, 4 on Photon).

    Costs the user money per call. The result is a new generation with its image_url. On Photon (the Dream Machine
    API) the image is a public URL or a generation's id, never a local file.
    """
    picked = model or default_image_model(set(current_caller().accounts))
    if picked in PHOTON_MODELS:
        refuse_options(picked, UNI1_ONLY, style=style)
        return await _photon(
            ctx,
            prompt,
            picked,
            wait,
            output_format=output_format,
            image_refs=image_refs,
            modify_image_ref=WeightedImage(image=image, weight=weight),
            modify_argument="image",
        )
    chosen = cast(ImageModel, picked)
    refuse_options(chosen, PHOTON_ONLY, weight=weight)
    agents = current_caller().account_for("agents")
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


async def _photon(
    ctx: AppCtx,
    prompt: str,
    model: PhotonModel,
    wait: bool,
    *,
    aspect_ratio: str | None = None,
    output_format: str | None = None,
    image_refs: list[str | WeightedImage] | None = None,
    style_ref: str | WeightedImage | None = None,
    character_refs: list[str] | None = None,
    modify_image_ref: str | WeightedImage | None = None,
    modify_argument: str = "modify_image_ref",
) -> CallToolResult:
    """A Photon image: every option checked, then every image named by the public URL Luma fetches (a local file
    refused before any generation is looked up), then sent on the Dream Machine account."""
    dream_machine = current_caller().account_for("dream-machine")
    check_dream_machine_prompt(model, prompt)
    check_photon_options(
        model, aspect_ratio=aspect_ratio, image_refs=len(image_refs or ()), character_refs=len(character_refs or ())
    )
    weighted = {f"image_refs[{position}]": _weighed(image) for position, image in enumerate(image_refs or ())}
    if style_ref is not None:
        weighted["style_ref"] = _weighed(style_ref)
    if modify_image_ref is not None:
        weighted[modify_argument] = _weighed(modify_image_ref)
    characters: dict[str, str | None] = {
        f"character_refs[{position}]": image for position, image in enumerate(character_refs or ())
    }
    named: dict[str, str | None] = {argument: image for argument, (image, _) in weighted.items()}
    named.update(characters)
    urls = await dream_machine_images(model, named, agents_model="uni-1", changed=modify_argument)
    refs = {argument: WeightedUrl(url=str(urls[argument]), weight=weight) for argument, (_, weight) in weighted.items()}
    job = photon_image(
        prompt,
        model=model,
        aspect_ratio=aspect_ratio,
        output_format=output_format,
        image_refs=[ref for argument, ref in refs.items() if argument.startswith("image_refs[")],
        style_ref=refs.get("style_ref"),
        character=[str(urls[argument]) for argument in characters],
        modify=refs.get(modify_argument),
    )
    return await ToolCall(ctx, dream_machine).start(job, wait)


def _weighed(given: str | WeightedImage) -> tuple[str, float | None]:
    return (given.image, given.weight) if isinstance(given, WeightedImage) else (given, None)


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

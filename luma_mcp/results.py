"""What the tools hand back: flat, typed results (their JSON schemas become the tools' output schemas), the
one-line text the model reads first, and links a client can open itself: the generation as a resource, and the files
it was saved to.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp.types import ResourceLink
from pydantic import BaseModel, Field

from .lineup import estimate_cost
from .models import Generation
from .subscriptions import generation_uri


class OutputInfo(BaseModel):
    """One file a generation made; a layer (split_image_layers) also has its label and place in the stack."""

    type: str = Field(description="image or video.")
    url: str
    label: str | None = Field(default=None, description="A layer's label, such as 'subject' or 'background'.")
    index: int | None = Field(default=None, description="A layer's place, front to back (the last is the background).")

    @classmethod
    def of(cls, output: dict[str, Any]) -> OutputInfo:
        layer = output.get("layer")
        label, index = (layer.get("label"), layer.get("index")) if isinstance(layer, dict) else (None, None)
        return cls(type=str(output.get("type")), url=str(output.get("url")), label=label, index=index)


class GenerationResult(BaseModel):
    """One generation, flattened so the model finds the video or image URL without digging."""

    id: str = Field(description="The generation's id; empty when none was made (state declined or unanswered).")
    api: str = Field(default="dream-machine", description="The Luma API that made it: dream-machine or agents.")
    state: str = Field(
        description=(
            "queued, dreaming (Dream Machine) or processing (Agents), completed or failed; declined: the user declined "
            "its cost, so nothing was made; unanswered: the user was asked to confirm its cost and did not answer in "
            "time, so nothing was made."
        )
    )
    video_url: str | None = Field(default=None, description="The MP4, once completed. Download it soon.")
    image_url: str | None = Field(default=None, description="The image (a split's first layer), once completed.")
    outputs: list[OutputInfo] = Field(
        default_factory=list, description="Every file it made: each image (and layer, with its label) or video."
    )
    urls_expire_at: str | None = Field(
        default=None, description="When the URLs stop working (UTC); get_generation mints fresh ones."
    )
    thumbnail_url: str | None = None
    estimated_cost_usd: float | None = Field(
        default=None, description="What it costs in USD by Luma's published prices; null when no price is known."
    )
    estimated_cost_note: str | None = Field(default=None, description="Why there is no estimate, when there is none.")
    failure_reason: str | None = None
    failure_code: str | None = Field(default=None, description="The Agents API's reason code, when failed.")
    prompt: str | None = None
    model: str | None = None
    generation_type: str | None = None
    created_at: str | None = None
    next_step: str | None = Field(default=None, description="What to do next, when the generation is not finished.")

    @classmethod
    def of(cls, generation: Generation, next_step: str | None = None) -> GenerationResult:
        assets = generation.assets
        outputs = [OutputInfo.of(output) for output in generation.outputs or ()]
        cost = estimate_cost(generation.model, generation.request)
        return cls(
            id=generation.id,
            api=generation.api,
            state=generation.state,
            video_url=assets.video if assets else None,
            image_url=next(
                (output.url for output in outputs if output.type == "image"),
                assets.image if assets and generation.generation_type == "image" else None,
            ),
            outputs=outputs,
            urls_expire_at=generation.urls_expire_at,
            thumbnail_url=assets.image if assets else None,
            estimated_cost_usd=cost.usd,
            estimated_cost_note=cost.unknown_because,
            failure_reason=generation.failure_reason,
            failure_code=generation.failure_code,
            prompt=generation.prompt,
            model=generation.model,
            generation_type=generation.generation_type,
            created_at=generation.created_at,
            next_step=next_step,
        )

    def summary(self) -> str:
        if self.state == "completed":
            text = f"Generation {self.id} is completed. {self._made()}"
            if self.urls_expire_at:
                text += f" The URLs work until {self.urls_expire_at}."
            if self.estimated_cost_usd is not None:
                text += f" Estimated cost: ${self.estimated_cost_usd:.4g}."
            elif self.estimated_cost_note:
                text += f" Cost unknown: {self.estimated_cost_note}."
        elif self.state == "failed":
            text = f"Generation {self.id} failed: {self.failure_reason or 'no reason given'}"
        else:
            text = f"Generation {self.id} is {self.state}."
        return f"{text} {self.next_step}" if self.next_step else text

    def _made(self) -> str:
        layers = [output for output in self.outputs if output.label is not None]
        if layers:
            return f"{len(layers)} layers: " + "; ".join(f"{o.index} {o.label}: {o.url}" for o in layers)
        if self.video_url or not self.image_url:
            return f"Video: {self.video_url}"
        return f"Image: {self.image_url}"


class GenerationList(BaseModel):
    generations: list[GenerationResult]
    count: int
    limit: int
    offset: int
    has_more: bool


class Deleted(BaseModel):
    id: str
    deleted: bool = Field(default=True, description="Deleted from Luma (the Dream Machine API).")
    forgotten: bool = Field(default=False, description="Removed from this server's ledger only (the Agents API).")


class ConceptList(BaseModel):
    concepts: list[str] = Field(description="Keys to pass in create_generation's concepts list.")


class CameraMotionList(BaseModel):
    camera_motions: list[str] = Field(description="Phrases to write into the prompt, e.g. 'camera orbit left'.")
    source: str = Field(description="'luma' when Luma listed them, 'built-in' when Luma no longer offers the list.")


class Download(BaseModel):
    id: str
    status: Literal["saved", "in_progress"] = Field(
        description="saved, or in_progress: still downloading in the background (call download_generation again)."
    )
    video_path: str | None = Field(default=None, description="Where the MP4 is, or will be once saved.")
    thumbnail_path: str | None = None
    video_bytes: int | None = Field(default=None, description="The MP4's size, once saved.")
    image_paths: list[str] = Field(
        default_factory=list,
        description="Where each image is, or will be: one for an image, one a layer (its index and label in the name).",
    )
    total_bytes: int | None = Field(default=None, description="The size of every file saved, once saved.")
    next_step: str | None = None


class ModelInfo(BaseModel):
    name: str
    api: str = Field(description="The Luma API that serves it: dream-machine or agents.")
    available: bool = Field(description="Whether this server has a key for its API.")
    key_needed: str | None = Field(default=None, description="When not available: the key that unlocks it.")
    kinds: list[str] = Field(description="What it makes: video, extend, upscale, audio, image, edit, reframe, layers.")
    summary: str
    options: dict[str, list[str]] = Field(
        description="Each option's allowed values, the default first (for images, Luma picks when not given)."
    )
    prices_usd: dict[str, float] = Field(
        description=(
            "USD an output: a video by duration and resolution, an image by how many images it reads (Photon: one "
            "price an image)."
        )
    )
    price_source: str


class ModelList(BaseModel):
    models: list[ModelInfo]
    default_video_model: str
    default_image_model: str


class Spent(BaseModel):
    """What one API's generations made by this server cost, by estimate."""

    api: str
    today_usd: float = Field(description="Since midnight UTC.")
    total_usd: float
    generations_today: int
    generations_total: int
    unpriced: int = Field(description="Generations (in total) with no known price, left out of the sums.")
    outcome_unknown: int = Field(description="Creates whose answer was lost (in total): perhaps charged, not summed.")
    left_today_usd: float | None = Field(
        default=None,
        description=(
            "What the daily cap leaves today, with generations of no known price counted at the API's highest price; "
            "null without a cap."
        ),
    )


class CreditBalance(BaseModel):
    credit_balance_cents: float | None = Field(description="Luma's balance (the Dream Machine API), when it has one.")
    credit_balance_usd: float | None
    balance_note: str | None = Field(default=None, description="Why there is no balance, when there is none.")
    spent: list[Spent] = Field(description="What this server spent per API, from its ledger.")
    spent_note: str
    max_spend_usd_per_day: float | None = Field(
        default=None, description="The daily spending cap per account (LUMA_MCP_MAX_SPEND_USD); null: none."
    )


def generation_link(generation_id: str) -> ResourceLink:
    """The generation as the resource a client can read, and subscribe to, without asking the model."""
    return ResourceLink(
        name="generation",
        title=f"Luma generation {generation_id}",
        uri=generation_uri(generation_id),
        description="Its state and URLs, as Luma reports them when read.",
        mime_type="application/json",
    )


async def file_links(paths: Iterable[str]) -> list[ResourceLink]:
    """A link to each saved file still where it was saved, with its size; one since moved or deleted is left out,
    so a link never points at nothing."""
    links = []
    for saved in paths:
        path = Path(saved)
        try:
            size = (await anyio.Path(path).stat()).st_size
        except OSError:
            continue
        links.append(
            ResourceLink(name=path.name, uri=path.as_uri(), mime_type=mimetypes.guess_type(path.name)[0], size=size)
        )
    return links

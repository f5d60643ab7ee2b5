"""What the tools hand back: flat, typed results (their JSON schemas become the tools' output schemas) and
the one-line text the model reads first.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .models import Generation


class GenerationResult(BaseModel):
    """One generation, flattened so the model finds the video URL without digging."""

    id: str
    api: str = Field(default="dream-machine", description="The Luma API that made it: dream-machine or agents.")
    state: str = Field(description="queued, dreaming (Dream Machine) or processing (Agents), completed or failed.")
    video_url: str | None = Field(default=None, description="The MP4, once completed. Download it soon.")
    thumbnail_url: str | None = None
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
        return cls(
            id=generation.id,
            api=generation.api,
            state=generation.state,
            video_url=assets.video if assets else None,
            thumbnail_url=assets.image if assets else None,
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
            text = f"Generation {self.id} is completed. Video: {self.video_url}"
        elif self.state == "failed":
            text = f"Generation {self.id} failed: {self.failure_reason or 'no reason given'}"
        else:
            text = f"Generation {self.id} is {self.state}."
        return f"{text} {self.next_step}" if self.next_step else text


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
    video_path: str = Field(description="Where the MP4 is, or will be once saved.")
    thumbnail_path: str | None = None
    video_bytes: int | None = Field(default=None, description="The MP4's size, once saved.")
    next_step: str | None = None


class ModelInfo(BaseModel):
    name: str
    api: str = Field(description="The Luma API that serves it: dream-machine or agents.")
    available: bool = Field(description="Whether this server has a key for its API.")
    key_needed: str | None = Field(default=None, description="When not available: the key that unlocks it.")
    kinds: list[str] = Field(description="What it makes: video, extend, upscale, audio.")
    summary: str
    options: dict[str, list[str]] = Field(description="Each option's allowed values, the default first.")
    prices_usd: dict[str, float] = Field(description="USD a video, by duration and resolution.")
    price_source: str


class ModelList(BaseModel):
    models: list[ModelInfo]
    default_video_model: str


class CreditBalance(BaseModel):
    credit_balance_cents: float
    credit_balance_usd: float

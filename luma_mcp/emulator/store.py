"""Generations, who owns them, how they are planned to end, and each tenant's credit balance."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from luma_mcp.emulator.config import EmulatorConfig

TERMINAL_STATES = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class Plan:
    """How one generation unfolds: seconds spent queued and dreaming, and whether it ends failed."""

    queued_seconds: float
    dreaming_seconds: float
    failure_reason: str | None = None


@dataclass
class StoredGeneration:
    """A generation as the emulator keeps it; ``to_json`` is what the API returns for it."""

    owner: str
    generation_type: str
    model: str
    request: dict[str, Any]
    origin: str
    """Scheme, host and port the create came in on; asset URLs point there."""
    plan: Plan
    cost_cents: float
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    state: str = "queued"
    failure_reason: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def video_path(self) -> str:
        return f"/assets/{self.id}/video.mp4"

    @property
    def thumbnail_path(self) -> str:
        return f"/assets/{self.id}/thumb.jpg"

    @property
    def image_path(self) -> str:
        """A Photon image's file, in the format asked for (Luma's default is JPEG)."""
        return f"/assets/{self.id}/image.{self.request.get('format') or 'jpg'}"

    def to_json(self) -> dict[str, Any]:
        assets = None
        if self.state == "completed" and self.generation_type == "image":
            assets = {"video": None, "image": self.origin + self.image_path, "progress_video": None}
        elif self.state == "completed":
            assets = {
                "video": self.origin + self.video_path,
                "image": self.origin + self.thumbnail_path,
                "progress_video": None,
            }
        return {
            "id": self.id,
            "generation_type": self.generation_type,
            "state": self.state,
            "failure_reason": self.failure_reason,
            "created_at": self.created_at,
            "assets": assets,
            "model": self.model,
            "request": self.request,
        }


class GenerationStore:
    """Every live generation in creation order, plus per-tenant balances and the plans queued by tests."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._generations: dict[str, StoredGeneration] = {}
        self._balances: dict[str, float] = {}
        self._plans: deque[Plan] = deque()

    def clear(self) -> None:
        """Forget every generation, balance and plan."""
        self._generations.clear()
        self._balances.clear()
        self._plans.clear()

    def plan_next(self, plan: Plan) -> None:
        """Queue a plan; each created generation takes the oldest one, or the config's timings when none is left."""
        self._plans.append(plan)

    def create(
        self,
        *,
        owner: str,
        generation_type: str,
        model: str,
        request: dict[str, Any],
        origin: str,
        cost_cents: float,
    ) -> StoredGeneration:
        """Store a new queued generation and charge its owner up front, as Luma does."""
        plan = (
            self._plans.popleft() if self._plans else Plan(self._config.queued_seconds, self._config.dreaming_seconds)
        )
        generation = StoredGeneration(
            owner=owner,
            generation_type=generation_type,
            model=model,
            request=request,
            origin=origin,
            plan=plan,
            cost_cents=cost_cents,
        )
        self._generations[generation.id] = generation
        self._balances[owner] = self.balance(owner) - cost_cents
        return generation

    def get(self, generation_id: str, *, owner: str | None = None) -> StoredGeneration | None:
        """The generation, if it exists and (when ``owner`` is given) belongs to that tenant."""
        generation = self._generations.get(generation_id)
        if generation is None or (owner is not None and generation.owner != owner):
            return None
        return generation

    def page(self, owner: str, *, limit: int, offset: int) -> tuple[list[StoredGeneration], bool]:
        """One page of the tenant's generations, newest first, and whether more follow it."""
        newest_first = [g for g in reversed(self._generations.values()) if g.owner == owner]
        return newest_first[offset : offset + limit], offset + limit < len(newest_first)

    def delete(self, generation_id: str) -> None:
        self._generations.pop(generation_id, None)

    def count_unfinished(self, owner: str, generation_type: str) -> int:
        return sum(
            1
            for g in self._generations.values()
            if g.owner == owner and g.generation_type == generation_type and not g.is_terminal
        )

    def balance(self, owner: str) -> float:
        return self._balances.get(owner, self._config.initial_credit_cents)

    def start_dreaming(self, generation: StoredGeneration) -> None:
        generation.state = "dreaming"

    def finish(self, generation: StoredGeneration) -> None:
        """End the generation as planned; a failure refunds its cost, as Luma's FAQ promises."""
        if generation.plan.failure_reason is None:
            generation.state = "completed"
            return
        generation.state = "failed"
        generation.failure_reason = generation.plan.failure_reason
        self._balances[generation.owner] = self.balance(generation.owner) + generation.cost_cents

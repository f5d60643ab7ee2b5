"""The Agents API's generations, each client's balance, and the plans tests queue for the next generations."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from luma_mcp.emulator.agents.vocabulary import FAILURE_REASONS, UNREFUNDED_FAILURE_CODES
from luma_mcp.emulator.paths import STORAGE_PREFIX

TERMINAL_STATES = frozenset({"completed", "failed"})
OUTPUTS_PATH = f"{STORAGE_PREFIX}outputs"

Presigner = Callable[[str, str], str]
"""Turns an origin and a storage path into a presigned URL."""


@dataclass(frozen=True)
class AgentsPlan:
    """How one generation unfolds: seconds queued and processing, and whether it ends failed (and why)."""

    queued_seconds: float
    processing_seconds: float
    failure_code: str | None = None
    failure_reason: str | None = None


@dataclass(frozen=True)
class Output:
    """One file a completed generation serves: the sample it is, and for a layer, what the layer holds."""

    type: str
    """``image`` or ``video``, as in the API's ``output[].type``."""
    sample: str
    """The file in ``emulator/media`` served for it."""
    media_type: str
    extension: str
    layer: dict[str, Any] | None = None


@dataclass
class AgentsGeneration:
    """A generation as the emulator keeps it; ``to_json`` is what ``GET /generations/{id}`` returns for it."""

    owner: str
    model: str
    type: str
    outputs: tuple[Output, ...]
    video_seconds: float | None
    """How long its video runs, when the emulator knows (a source video of unknown length leaves it unknown)."""
    origin: str
    """Scheme, host and port the create came in on; output URLs point there."""
    plan: AgentsPlan
    cost_cents: float
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    state: str = "queued"
    failure_code: str | None = None
    failure_reason: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def output_path(self, index: int) -> str:
        return f"{OUTPUTS_PATH}/{self.id}/{index}.{self.outputs[index].extension}"

    def to_json(self, presign: Presigner) -> dict[str, Any]:
        """The generation with output URLs minted now, each good for the signer's TTL (Luma mints on every GET)."""
        output: list[dict[str, Any]] = []
        if self.state == "completed":
            for index, item in enumerate(self.outputs):
                entry: dict[str, Any] = {"type": item.type, "url": presign(self.origin, self.output_path(index))}
                if item.layer is not None:
                    entry["layer"] = item.layer
                output.append(entry)
        return {
            "id": self.id,
            "created_at": self.created_at,
            "model": self.model,
            "type": self.type,
            "state": self.state,
            "failure_code": self.failure_code,
            "failure_reason": self.failure_reason,
            "output": output,
        }


class AgentsStore:
    """Every Agents API generation, each key's balance, and the plans queued by tests."""

    def __init__(self, *, queued_seconds: float, processing_seconds: float, credit_cents: float) -> None:
        self._default_plan = AgentsPlan(queued_seconds, processing_seconds)
        self._credit_cents = credit_cents
        self._generations: dict[str, AgentsGeneration] = {}
        self._balances: dict[str, float] = {}
        self._plans: deque[AgentsPlan] = deque()

    def clear(self) -> None:
        """Forget every generation, balance and plan (see `Emulator.reset`)."""
        self._generations.clear()
        self._balances.clear()
        self._plans.clear()

    def plan_next(self, plan: AgentsPlan) -> None:
        """Queue a plan; each created generation takes the oldest one, or the default timings when none is left."""
        self._plans.append(plan)

    def create(
        self,
        *,
        owner: str,
        model: str,
        generation_type: str,
        outputs: tuple[Output, ...],
        video_seconds: float | None,
        origin: str,
        cost_cents: float,
    ) -> AgentsGeneration:
        """Store a new queued generation and charge its owner up front."""
        generation = AgentsGeneration(
            owner=owner,
            model=model,
            type=generation_type,
            outputs=outputs,
            video_seconds=video_seconds,
            origin=origin,
            plan=self._plans.popleft() if self._plans else self._default_plan,
            cost_cents=cost_cents,
        )
        self._generations[generation.id] = generation
        self._balances[owner] = self.balance(owner) - cost_cents
        return generation

    def get(self, generation_id: str, *, owner: str | None = None) -> AgentsGeneration | None:
        """The generation, if it exists and (when ``owner`` is given) belongs to that client."""
        generation = self._generations.get(generation_id)
        if generation is None or (owner is not None and generation.owner != owner):
            return None
        return generation

    def count_unfinished(self, owner: str) -> int:
        return sum(1 for g in self._generations.values() if g.owner == owner and not g.is_terminal)

    def balance(self, owner: str) -> float:
        return self._balances.get(owner, self._credit_cents)

    def start_processing(self, generation: AgentsGeneration) -> None:
        generation.state = "processing"

    def finish(self, generation: AgentsGeneration) -> None:
        """End the generation as planned; a failure is refunded unless its code says the credits were used."""
        code = generation.plan.failure_code
        if code is None:
            generation.state = "completed"
            return
        generation.state = "failed"
        generation.failure_code = code
        generation.failure_reason = generation.plan.failure_reason or FAILURE_REASONS[code]
        if code not in UNREFUNDED_FAILURE_CODES:
            self._balances[generation.owner] = self.balance(generation.owner) + generation.cost_cents

"""The test controls of the Agents API side: script what the next generations and ingests do, or end them now."""

from __future__ import annotations

from typing import Any

from luma_mcp.emulator.agents.files import IngestPlan
from luma_mcp.emulator.agents.state import AgentsState
from luma_mcp.emulator.agents.store import AgentsPlan
from luma_mcp.emulator.agents.vocabulary import FAILURE_CODES
from luma_mcp.emulator.clock import GenerationClock
from luma_mcp.emulator.config import EmulatorConfig


class AgentsControls:
    """Reached as ``emulator.agents``; like the Dream Machine controls, they act on the running service at once."""

    def __init__(self, config: EmulatorConfig, state: AgentsState, clock: GenerationClock) -> None:
        self._config = config
        self._state = state
        self._clock = clock

    def plan_next(
        self,
        *,
        failure_code: str | None = None,
        failure_reason: str | None = None,
        queued_seconds: float | None = None,
        processing_seconds: float | None = None,
    ) -> None:
        """Script the next created generation; with ``failure_code`` it fails (with Luma's reason for that code
        unless ``failure_reason`` is given) and is refunded, except for ``budget_exhausted``.

        Plans queue up: each one applies to one generation, in creation order. Unset timings come from the config.
        """
        if failure_code is not None and failure_code not in FAILURE_CODES:
            raise ValueError(f"unknown failure_code {failure_code!r}; use one of: {', '.join(FAILURE_CODES)}")
        if failure_reason is not None and failure_code is None:
            raise ValueError("a failure_reason needs a failure_code")
        self._state.generations.plan_next(
            AgentsPlan(
                queued_seconds=self._config.queued_seconds if queued_seconds is None else queued_seconds,
                processing_seconds=self._config.dreaming_seconds if processing_seconds is None else processing_seconds,
                failure_code=failure_code,
                failure_reason=failure_reason,
            )
        )

    def finish_now(self, generation_id: str) -> None:
        """End the generation at once: completed, or failed if so planned. Raises ``KeyError`` if unknown."""
        if self._state.generations.get(generation_id) is None:
            raise KeyError(f"no Agents API generation {generation_id!r} in this emulator")
        self._clock.finish_now(generation_id)

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        """The generation as ``GET /generations/{id}`` would return it to its owner; ``None`` if unknown."""
        generation = self._state.generations.get(generation_id)
        return None if generation is None else generation.to_json(self._state.presign)

    def plan_next_ingest(self, *, failure_reason: str | None = None, seconds: float | None = None) -> None:
        """Script the next file ingest to begin: how long it takes, and with ``failure_reason``, that it fails."""
        ingest = self._config.agents.ingest_seconds if seconds is None else seconds
        self._state.files.plan_next(IngestPlan(ingest, failure_reason))

    def ingest_now(self, file_id: str) -> None:
        """End the file's ingest at once (``ready`` or ``failed``); a file not yet completed stays as it is.
        Raises ``KeyError`` if unknown."""
        if self._state.files.get(file_id) is None:
            raise KeyError(f"no file {file_id!r} in this emulator")
        self._clock.finish_now(file_id)

    def file(self, file_id: str) -> dict[str, Any] | None:
        """The file as ``GET /files/{id}`` would return it to its owner; ``None`` if unknown."""
        stored = self._state.files.get(file_id)
        return None if stored is None else stored.to_json()

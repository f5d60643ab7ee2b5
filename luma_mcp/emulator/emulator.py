"""The emulator as tests and demos hold it: the ASGI app plus the controls for scripting what "Luma" does."""

from __future__ import annotations

from typing import Any

from luma_mcp.emulator.agents.controls import AgentsControls
from luma_mcp.emulator.agents.state import AgentsState
from luma_mcp.emulator.app import build_app
from luma_mcp.emulator.callbacks import CallbackSender
from luma_mcp.emulator.clock import GenerationClock
from luma_mcp.emulator.config import DEFAULT_CONFIG, EmulatorConfig
from luma_mcp.emulator.faults import Fault, FaultQueue
from luma_mcp.emulator.limits import CreateLimits
from luma_mcp.emulator.paths import path_matches
from luma_mcp.emulator.recording import RecordedRequest
from luma_mcp.emulator.store import GenerationStore, Plan


class Emulator:
    """One emulated Luma: the Dream Machine API and the Agents API, each with its own keys, generations and
    balances, sharing one request log and one fault queue.

    Serve ``app`` with ``run_emulator()`` (which also sets ``base_url`` and ``agents_base_url``) or ``serve()``; the
    controls below, and the Agents API's in ``agents``, act on the running service directly and take effect for the
    next request.
    """

    def __init__(self, config: EmulatorConfig = DEFAULT_CONFIG) -> None:
        if not config.api_keys:
            raise ValueError("EmulatorConfig.api_keys needs at least one key")
        self.config = config
        self.api_key = config.api_keys[0]
        self.base_url = ""
        """``http://127.0.0.1:<port>/dream-machine/v1`` once running."""
        self.agents_api_key = config.agents.api_keys[0]
        self.agents_base_url = ""
        """``http://127.0.0.1:<port>/agents/v1`` once running."""
        self.requests: list[RecordedRequest] = []
        """Every API request in arrival order (asset downloads are not API requests)."""
        self._faults = FaultQueue()
        self._store = GenerationStore(config)
        self._clock = GenerationClock()
        self._limits = CreateLimits(config, self._store)
        self._callbacks = CallbackSender()
        self._agents = AgentsState(config)
        self.agents = AgentsControls(config, self._agents, self._clock)
        """The Agents API's test controls: plans, ``finish_now``, ingests, and its generations and files as JSON."""
        self.app = build_app(
            config=config,
            store=self._store,
            clock=self._clock,
            limits=self._limits,
            callbacks=self._callbacks,
            faults=self._faults,
            log=self.requests,
            agents=self._agents,
        )

    def reset(self) -> None:
        """Return to the state it started in, still serving at its URLs: no generations, files, plans, faults or
        logged requests, full balances and limits, and no timeline or callback left running. One emulator can so
        serve many tests in turn, each as if it had the emulator to itself. Call it from the event loop serving it.
        """
        self._clock.stop_all()
        self._callbacks.stop_all()
        self._store.clear()
        self._limits.clear()
        self._agents.clear()
        self._faults.clear()
        self.requests.clear()

    @property
    def callbacks_in_flight(self) -> int:
        """Callback deliveries not yet over, retries to come included: at 0, with every generation finished, no
        callback is on its way, so a test can check what arrived without waiting to see if more does."""
        return self._callbacks.in_flight

    def inject(self, fault: Fault) -> None:
        """Queue a fault; queued faults apply in order, each to the next requests it matches."""
        self._faults.inject(fault)

    def plan_next(
        self,
        *,
        failure_reason: str | None = None,
        queued_seconds: float | None = None,
        dreaming_seconds: float | None = None,
    ) -> None:
        """Script the next created generation (of any kind); with ``failure_reason`` it fails and is refunded.

        Plans queue up: each one applies to one generation, in creation order. Unset timings come from the config.
        """
        self._store.plan_next(
            Plan(
                queued_seconds=self.config.queued_seconds if queued_seconds is None else queued_seconds,
                dreaming_seconds=self.config.dreaming_seconds if dreaming_seconds is None else dreaming_seconds,
                failure_reason=failure_reason,
            )
        )

    def requests_for(self, method: str, path: str) -> list[RecordedRequest]:
        """The logged requests with this method and a path matching ``path`` (a trailing ``*`` matches a prefix).

        Dream Machine paths are relative to its root (``/generations/video``); Agents API paths keep their prefix
        (``/agents/v1/generations``).
        """
        return [r for r in self.requests if r.method == method.upper() and path_matches(path, r.path)]

    def clear_requests(self) -> None:
        self.requests.clear()

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        """The generation as ``GET /generations/{id}`` would return it to its owner; ``None`` if unknown or deleted."""
        generation = self._store.get(generation_id)
        return None if generation is None else generation.to_json()

    def finish_now(self, generation_id: str) -> None:
        """End the generation at once: completed, or failed if that was planned. Raises ``KeyError`` if unknown."""
        generation = self._store.get(generation_id)
        if generation is None:
            raise KeyError(f"no generation {generation_id!r} in this emulator")
        self._clock.finish_now(generation.id)

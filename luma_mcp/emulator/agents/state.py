"""Everything the Agents API remembers, in one place: generations and balances, files, recent creates, URL keys."""

from __future__ import annotations

from luma_mcp.emulator.agents.files import FileStore
from luma_mcp.emulator.agents.presign import UrlSigner
from luma_mcp.emulator.agents.store import AgentsStore
from luma_mcp.emulator.config import EmulatorConfig
from luma_mcp.emulator.limits import SlidingWindow


class AgentsState:
    def __init__(self, config: EmulatorConfig) -> None:
        agents = config.agents
        self.generations = AgentsStore(
            queued_seconds=config.queued_seconds,
            processing_seconds=config.dreaming_seconds,
            credit_cents=agents.credit_cents,
        )
        self.files = FileStore(ingest_seconds=agents.ingest_seconds)
        self.recent_creates = SlidingWindow(agents.rate_window_seconds)
        self.signer = UrlSigner(agents.url_ttl_seconds)

    def clear(self) -> None:
        """Forget everything but the URL keys: old URLs then answer 404, as for a deleted object."""
        self.generations.clear()
        self.files.clear()
        self.recent_creates.clear()

    def presign(self, origin: str, path: str) -> str:
        return self.signer.sign(origin, path)[0]

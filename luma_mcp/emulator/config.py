"""How an emulator behaves: who may call it, how fast generations finish, which limits apply."""

from __future__ import annotations

from dataclasses import dataclass

from luma_mcp.emulator.agents.config import AgentsConfig

DEFAULT_API_KEY = "luma-emulator-key"


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings for one emulator; the defaults give a fast, permissive, single-tenant Luma.

    All durations are in seconds. The real service takes about 100 s per video and allows 10 concurrent
    generations and 20 creates a minute per account (Photon images: 40 and 80, apart); the limits are off unless set
    here. ``agents`` configures
    the Agents API served beside the Dream Machine API.
    """

    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    """Bearer keys accepted; each key is a tenant that sees only its own generations."""
    queued_seconds: float = 0.5
    """Also how long an Agents API generation stays ``queued``."""
    dreaming_seconds: float = 3.0
    """Also how long an Agents API generation stays ``processing``."""
    camera_motions: bool = False
    """Serve the legacy ``GET /generations/camera_motion/list``; when off it answers 404 like an unknown route."""
    initial_credit_cents: float = 100_000.0
    max_concurrent: int | None = None
    """Per key: generations not yet completed or failed; one more create answers 429."""
    creates_per_minute: int | None = None
    """Per key: creates accepted in the last 60 s; one more answers 429 with ``Retry-After``."""
    image_max_concurrent: int | None = None
    """As ``max_concurrent``, for image jobs (Photon's images and reframes), which Luma limits apart from videos."""
    image_creates_per_minute: int | None = None
    """As ``creates_per_minute``, for image jobs."""
    asset_bytes_per_second: float | None = None
    """Serve asset files (videos, thumbnails, Agents API outputs) at this pace, a chunk at a time, like a slow CDN;
    unset is full speed."""
    agents: AgentsConfig = AgentsConfig()


DEFAULT_CONFIG = EmulatorConfig()

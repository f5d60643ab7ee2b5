"""How the emulator's Agents API behaves: its keys, its limits, how long its URLs live."""

from __future__ import annotations

from dataclasses import dataclass

KEY_PREFIX = "luma-api-"
"""Agents API keys look like this; anything else is refused before the key is even looked up."""
DEFAULT_AGENTS_API_KEY = "luma-api-emulator-key"
MB = 1024 * 1024


def size_text(limit: int) -> str:
    """A byte limit as Luma words it ("50 MB"), or in bytes when it is not whole megabytes (tests set such)."""
    return f"{limit // MB} MB" if limit % MB == 0 else f"{limit} bytes"


@dataclass(frozen=True)
class AgentsConfig:
    """Settings for the Agents API side; its generations take ``EmulatorConfig``'s queued and dreaming seconds.

    Every key is a client of its own: its generations, files, balance and limits are its alone. (On Luma several
    keys can belong to one client and share all of these.) The create limits are off unless set, as on the Dream
    Machine side: tests and demos create jobs in bursts, and Luma's real numbers depend on the plan (older docs
    said 30 a minute and 10 at once). All durations are in seconds.
    """

    api_keys: tuple[str, ...] = (DEFAULT_AGENTS_API_KEY,)
    url_ttl_seconds: float = 3600.0
    """How long a presigned URL (an output, an upload) works; after that it answers 403, as S3 does."""
    ingest_seconds: float = 0.2
    """How long an uploaded file stays ``pending`` before it is ``ready`` (or ``failed``)."""
    credit_cents: float = 100_000.0
    """Each key's balance to start with; a create that costs more than what is left answers 402."""
    requests_per_minute: int | None = None
    """Per key: ``POST /generations`` requests in a sliding 60 s window; one more answers 429. Off when unset."""
    max_concurrent: int | None = None
    """Per key: generations queued or processing; one more create answers 429. Off when unset."""
    rate_window_seconds: float = 60.0
    """The sliding window ``requests_per_minute`` counts in: Luma's minute, shorter for a test that waits it out."""
    concurrency_retry_after: int = 60
    """The fixed ``Retry-After`` of a concurrency 429: Luma's 60 s, shorter for a test that waits it out."""
    max_image_bytes: int = 50 * MB
    """Largest image accepted inline (decoded base64) or as a file; larger answers 413."""
    max_inline_upload_bytes: int = 10 * MB
    """Largest multipart ``POST /files``; Luma has a cap but does not say what it is, so 10 MB is a guess."""
    hdr_access: bool = True
    """Whether keys have the HDR entitlement ``video.hdr`` needs."""

    def __post_init__(self) -> None:
        malformed = [key for key in self.api_keys if not key.startswith(KEY_PREFIX)]
        if not self.api_keys or malformed:
            raise ValueError(f"AgentsConfig.api_keys needs at least one key, each starting {KEY_PREFIX!r}")

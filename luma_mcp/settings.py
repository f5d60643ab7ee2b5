"""Configuration, read once from the environment at the edge and passed down as a typed value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from .errors import ConfigurationError
from .timing import TimePolicy

DEFAULT_BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"
DEFAULT_MAX_WAIT = 45.0
DEFAULT_OUTPUT_DIR = Path.home() / "luma-videos"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVELS: tuple[LogLevel, ...] = get_args(LogLevel)


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know about its surroundings.

    `max_wait` bounds how long one tool call may block: MCP clients cut calls off at 60 s or more,
    so a call that waits for a video returns the current state before that and the model keeps waiting
    with `get_generation(id, wait=true)`.
    """

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    output_dir: Path = DEFAULT_OUTPUT_DIR
    max_wait: float = DEFAULT_MAX_WAIT
    log_level: LogLevel = "INFO"
    auth_token: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()

    @property
    def timing(self) -> TimePolicy:
        return TimePolicy(max_wait=self.max_wait)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `LUMA_*` variables; a bad value raises `ConfigurationError` naming the variable."""
        api_key = (environ.get("LUMA_API_KEY") or environ.get("LUMAAI_API_KEY") or "").strip() or None
        base_url = (environ.get("LUMA_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(f"LUMA_BASE_URL must be an http(s) URL, not {base_url!r}")
        output_dir = Path(environ.get("LUMA_MCP_OUTPUT_DIR") or DEFAULT_OUTPUT_DIR).expanduser()
        raw_wait = environ.get("LUMA_MCP_MAX_WAIT") or str(DEFAULT_MAX_WAIT)
        try:
            max_wait = float(raw_wait)
        except ValueError:
            raise ConfigurationError(f"LUMA_MCP_MAX_WAIT must be a number of seconds, not {raw_wait!r}") from None
        if not 0 <= max_wait <= 3600:
            raise ConfigurationError(f"LUMA_MCP_MAX_WAIT must be between 0 and 3600 seconds, not {raw_wait!r}")
        raw_level = (environ.get("LUMA_MCP_LOG_LEVEL") or "INFO").strip().upper()
        log_level = next((level for level in LOG_LEVELS if level == raw_level), None)
        if log_level is None:
            raise ConfigurationError(f"LUMA_MCP_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw_level!r}")
        auth_token = (environ.get("LUMA_MCP_AUTH_TOKEN") or "").strip() or None
        allowed_hosts = tuple(
            name.strip() for name in environ.get("LUMA_MCP_ALLOWED_HOSTS", "").split(",") if name.strip()
        )
        return cls(
            api_key=api_key,
            base_url=base_url,
            output_dir=output_dir,
            max_wait=max_wait,
            log_level=log_level,
            auth_token=auth_token,
            allowed_hosts=allowed_hosts,
        )

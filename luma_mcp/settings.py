"""Configuration, read once from the environment at the edge and passed down as a typed value."""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from .errors.wording import (
    idle_timeout_within_max_wait,
    setting_below_minimum,
    setting_not_a_url,
    setting_not_between,
    setting_not_media_host,
    setting_not_one_of,
    setting_not_positive_up_to,
    setting_not_seconds,
    setting_not_usd,
    setting_not_whole_number,
)
from .timing import TimePolicy

DEFAULT_BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"
DEFAULT_AGENTS_BASE_URL = "https://agents.lumalabs.ai/v1"
AGENTS_KEY_PREFIX = "luma-api-"
Api = Literal["dream-machine", "agents"]
"""Luma's two APIs: the Dream Machine API (Ray 2, Photon) and the Agents API (Ray 3.2, Uni-1)."""
DEFAULT_MAX_WAIT = 45.0
LONGEST_MAX_WAIT = 3600.0
LONGEST_TIMEOUT = 86_400.0
DEFAULT_OUTPUT_DIR = Path.home() / "luma-videos"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
FirstLook = Literal["typical", "early"]
FIRST_LOOKS: tuple[str, ...] = get_args(FirstLook)
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
_MEDIA_HOST = re.compile(r"https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")
"""A CSP host source as the MCP Apps spec writes them: a scheme, a host (perhaps `*.` for every subdomain), a port."""
LOG_LEVELS: tuple[LogLevel, ...] = get_args(LogLevel)


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know about its surroundings.

    `max_wait` bounds how long one tool call may block: MCP clients cut calls off at 60 s or more,
    so a call that waits for a video returns the current state before that and the model keeps waiting
    with `get_generation(id, wait=true)`.
    """

    api_key: str | None = field(default=None, repr=False)
    """The Dream Machine key."""
    agents_api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    agents_base_url: str = DEFAULT_AGENTS_BASE_URL
    output_dir: Path = DEFAULT_OUTPUT_DIR
    input_dirs: tuple[Path, ...] = ()
    """The folders a tool may read a local image or video from (LUMA_MCP_INPUT_DIRS); none named: the output folder
    (see `input_folders`)."""
    state_dir: Path | None = None
    """Where the ledger of generations this server started is kept; None keeps none (LUMA_MCP_LEDGER=off)."""
    max_wait: float = DEFAULT_MAX_WAIT
    log_level: LogLevel = "INFO"
    auth_token: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()
    http_request_timeout: float = 10.0
    http_max_connections: int = 200
    http_session_idle_timeout: float = 300.0
    http_max_sessions: int = 1000
    creates_per_minute: int = 20
    """Luma's create limits depend on the plan; the defaults are the Build tier's. 0 means no limit here."""
    max_in_flight: int = 10
    agents_creates_per_minute: int = 0
    """The Agents API's limits depend on the plan and are not published: none here unless set."""
    agents_max_in_flight: int = 0
    photon_creates_per_minute: int = 80
    """Luma limits Photon's images apart from Ray's videos on one account; the defaults are the Build tier's."""
    photon_max_in_flight: int = 40
    max_spend_usd: float | None = None
    """The most this server may spend per account per UTC day, by estimate (see `luma_mcp.spending`); None: no cap."""
    confirm_above_usd: float | None = None
    """A create estimated above this asks the user first, where the client can ask; None: none is asked."""
    media_hosts: tuple[str, ...] = ()
    """More origins the inline player may play media from (LUMA_MCP_MEDIA_HOSTS), besides Luma's own (see
    `luma_mcp.player`): a CSP host source each, such as https://media.example.com or https://*.example.com."""
    agents_media_hosts: tuple[str, ...] = ("https://*.amazonaws.com",)
    """Where the Agents API's outputs are (LUMA_MCP_AGENTS_MEDIA_HOSTS), for the player: not documented. Its URLs are
    presigned and an expired one answers with S3's error, so S3 is the best-known guess, and a wide one (every S3
    bucket): an operator who knows Luma's own bucket can name it instead."""
    first_look: FirstLook = "typical"
    """When the Agents API is first asked about a new generation: near its kind's typical time (fewer requests;
    see `PollSchedule.typical_seconds`), or early, after one poll interval (a fast generation, as the emulator's,
    is noticed at once)."""

    @property
    def timing(self) -> TimePolicy:
        return TimePolicy(max_wait=self.max_wait)

    @property
    def input_folders(self) -> tuple[Path, ...]:
        """The folders local images and videos are read from: those named, else the output folder."""
        return self.input_dirs or (self.output_dir,)

    @property
    def api_keys(self) -> dict[Api, str]:
        """The server's own key for each API it has one for."""
        keys: dict[Api, str | None] = {"dream-machine": self.api_key, "agents": self.agents_api_key}
        return {api: key for api, key in keys.items() if key}

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read `LUMA_*` variables; a bad value raises `ConfigurationError` naming the variable. A value that is an
        unfilled placeholder (`${user_config.agents_api_key}`: Claude Desktop passes an optional bundle setting the
        user left blank through as written) counts as unset."""
        environ = {name: value for name, value in environ.items() if not _PLACEHOLDER.fullmatch(value.strip())}
        # LUMA_API_KEY may hold either kind of key, told apart by its prefix; LUMA_AGENTS_API_KEY (the Agents SDK's
        # name) is an Agents key whatever it looks like, and wins.
        given = [(environ.get(name) or "").strip() for name in ("LUMA_API_KEY", "LUMAAI_API_KEY")]
        api_key = next((key for key in given if key and api_of_key(key) == "dream-machine"), None)
        agents_api_key = (environ.get("LUMA_AGENTS_API_KEY") or "").strip() or next(
            (key for key in given if key and api_of_key(key) == "agents"), None
        )
        base_url = _url(environ, "LUMA_BASE_URL", DEFAULT_BASE_URL)
        agents_base_url = _url(environ, "LUMA_AGENTS_BASE_URL", DEFAULT_AGENTS_BASE_URL)
        output_dir = Path(environ.get("LUMA_MCP_OUTPUT_DIR") or DEFAULT_OUTPUT_DIR).expanduser()
        input_dirs = tuple(
            Path(folder.strip()).expanduser()
            for folder in environ.get("LUMA_MCP_INPUT_DIRS", "").split(os.pathsep)
            if folder.strip()
        )
        ledger = (environ.get("LUMA_MCP_LEDGER") or "on").strip().lower()
        if ledger not in ("on", "off"):
            raise setting_not_one_of("LUMA_MCP_LEDGER", ledger, ("on", "off"))
        first_look = (environ.get("LUMA_MCP_FIRST_LOOK") or "typical").strip().lower()
        if first_look not in FIRST_LOOKS:
            raise setting_not_one_of("LUMA_MCP_FIRST_LOOK", first_look, FIRST_LOOKS)
        state_dir = None if ledger == "off" else Path(environ.get("LUMA_MCP_STATE_DIR") or _user_data_dir(environ))
        raw_wait = environ.get("LUMA_MCP_MAX_WAIT") or str(DEFAULT_MAX_WAIT)
        try:
            max_wait = float(raw_wait)
        except ValueError:
            raise setting_not_seconds("LUMA_MCP_MAX_WAIT", raw_wait) from None
        if not 0 <= max_wait <= LONGEST_MAX_WAIT:
            raise setting_not_between("LUMA_MCP_MAX_WAIT", raw_wait, least=0, most=LONGEST_MAX_WAIT)
        raw_level = (environ.get("LUMA_MCP_LOG_LEVEL") or "INFO").strip().upper()
        log_level = next((level for level in LOG_LEVELS if level == raw_level), None)
        if log_level is None:
            raise setting_not_one_of("LUMA_MCP_LOG_LEVEL", raw_level, LOG_LEVELS)
        auth_token = (environ.get("LUMA_MCP_AUTH_TOKEN") or "").strip() or None
        allowed_hosts = tuple(
            name.strip() for name in environ.get("LUMA_MCP_ALLOWED_HOSTS", "").split(",") if name.strip()
        )
        # HTTP serving: how long a whole request may take to arrive, how many connections and sessions may be open, and
        # how long an abandoned session lingers: by default a minute longer than the longest tool call.
        http_request_timeout = _seconds(environ, "LUMA_MCP_HTTP_REQUEST_TIMEOUT", cls.http_request_timeout)
        http_max_connections = _count(environ, "LUMA_MCP_HTTP_MAX_CONNECTIONS", cls.http_max_connections)
        http_session_idle_timeout = _seconds(
            environ, "LUMA_MCP_HTTP_SESSION_IDLE_TIMEOUT", max(cls.http_session_idle_timeout, max_wait + 60.0)
        )
        if http_session_idle_timeout <= max_wait:
            raise idle_timeout_within_max_wait(http_session_idle_timeout, max_wait)
        http_max_sessions = _count(environ, "LUMA_MCP_HTTP_MAX_SESSIONS", cls.http_max_sessions)
        # Luma's per-account create limits, by plan: creates a minute and generations in flight (0 = no limit here).
        creates_per_minute = _count(environ, "LUMA_MCP_CREATES_PER_MINUTE", cls.creates_per_minute, minimum=0)
        max_in_flight = _count(environ, "LUMA_MCP_MAX_IN_FLIGHT", cls.max_in_flight, minimum=0)
        agents_creates_per_minute = _count(
            environ, "LUMA_MCP_AGENTS_CREATES_PER_MINUTE", cls.agents_creates_per_minute, minimum=0
        )
        agents_max_in_flight = _count(environ, "LUMA_MCP_AGENTS_MAX_IN_FLIGHT", cls.agents_max_in_flight, minimum=0)
        photon_creates_per_minute = _count(
            environ, "LUMA_MCP_PHOTON_CREATES_PER_MINUTE", cls.photon_creates_per_minute, minimum=0
        )
        photon_max_in_flight = _count(environ, "LUMA_MCP_PHOTON_MAX_IN_FLIGHT", cls.photon_max_in_flight, minimum=0)
        max_spend_usd = _usd(environ, "LUMA_MCP_MAX_SPEND_USD")
        confirm_above_usd = _usd(environ, "LUMA_MCP_CONFIRM_ABOVE_USD")
        media_hosts = _media_hosts(environ, "LUMA_MCP_MEDIA_HOSTS", ())
        agents_media_hosts = _media_hosts(environ, "LUMA_MCP_AGENTS_MEDIA_HOSTS", cls.agents_media_hosts)
        return cls(
            api_key=api_key,
            agents_api_key=agents_api_key,
            base_url=base_url,
            agents_base_url=agents_base_url,
            output_dir=output_dir,
            input_dirs=input_dirs,
            state_dir=state_dir.expanduser() if state_dir else None,
            max_wait=max_wait,
            log_level=log_level,
            auth_token=auth_token,
            allowed_hosts=allowed_hosts,
            http_request_timeout=http_request_timeout,
            http_max_connections=http_max_connections,
            http_session_idle_timeout=http_session_idle_timeout,
            http_max_sessions=http_max_sessions,
            creates_per_minute=creates_per_minute,
            max_in_flight=max_in_flight,
            agents_creates_per_minute=agents_creates_per_minute,
            agents_max_in_flight=agents_max_in_flight,
            photon_creates_per_minute=photon_creates_per_minute,
            photon_max_in_flight=photon_max_in_flight,
            max_spend_usd=max_spend_usd,
            confirm_above_usd=confirm_above_usd,
            media_hosts=media_hosts,
            agents_media_hosts=agents_media_hosts,
            first_look=first_look,  # type: ignore[arg-type]  # checked above
        )


def _user_data_dir(environ: Mapping[str, str]) -> Path:
    """The platform's folder for an application's own data."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "luma-mcp"
    if sys.platform == "win32":
        return Path(environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "luma-mcp"
    return Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "luma-mcp"


def api_of_key(key: str) -> Api:
    """Which API a key is for: Agents keys (from platform.lumalabs.ai) start with `luma-api-`; any other is a
    Dream Machine key."""
    return "agents" if key.startswith(AGENTS_KEY_PREFIX) else "dream-machine"


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    url = (environ.get(name) or default).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise setting_not_a_url(name, url)
    return url


def _media_hosts(environ: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    hosts = [host.strip() for host in environ.get(name, "").split(",") if host.strip()]
    if not hosts:
        return default
    origins = tuple(host.rstrip("/") for host in hosts)
    for host, origin in zip(hosts, origins, strict=True):
        if not _MEDIA_HOST.fullmatch(origin):
            raise setting_not_media_host(name, host)
    return origins


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name) or str(default)
    try:
        seconds = float(raw)
    except ValueError:
        raise setting_not_seconds(name, raw) from None
    if not 0 < seconds <= LONGEST_TIMEOUT:
        raise setting_not_positive_up_to(name, raw, most=LONGEST_TIMEOUT)
    return seconds


def _usd(environ: Mapping[str, str], name: str) -> float | None:
    """An amount in US dollars, 0 or more; unset is None."""
    raw = (environ.get(name) or "").strip().removeprefix("$")
    if not raw:
        return None
    try:
        usd = float(raw)
    except ValueError:
        raise setting_not_usd(name, raw) from None
    if not 0 <= usd < math.inf:
        raise setting_not_usd(name, raw)
    return usd


def _count(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = (environ.get(name) or "").strip() or str(default)
    try:
        count = int(raw)
    except ValueError:
        raise setting_not_whole_number(name, raw) from None
    if count < minimum:
        raise setting_below_minimum(name, raw, minimum)
    return count

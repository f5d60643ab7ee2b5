"""luma-mcp: an MCP server for Luma Dream Machine video generation."""

from .client import DreamMachineClient
from .errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    CreateOutcomeUnknownError,
    GenerationFailedError,
    InvalidRequestError,
    LumaError,
    LumaMCPError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from .models import Generation, GenerationRequest
from .poller import Poller, PollSchedule
from .retries import RetryPolicy
from .server import build_server
from .settings import Settings
from .version import __version__

__all__ = [
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "CreateOutcomeUnknownError",
    "Generation",
    "GenerationFailedError",
    "GenerationRequest",
    "InvalidRequestError",
    "DreamMachineClient",
    "LumaError",
    "LumaMCPError",
    "NotFoundError",
    "PollSchedule",
    "Poller",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "Settings",
    "__version__",
    "build_server",
]

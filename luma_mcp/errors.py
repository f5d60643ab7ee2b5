"""Every error luma-mcp raises, in one place.

```
LumaMCPError
 ├── ConfigurationError            the server is missing something it needs (no API key)
 ├── InvalidRequestError           refused before anything was sent to Luma
 ├── GenerationFailedError         Luma finished the generation with state "failed"
 └── LumaError                     talking to Luma went wrong
      ├── CreateOutcomeUnknownError  a create's answer was lost and the generation was not found
      ├── APIResponseError         Luma answered 2xx with something we cannot read
      ├── APIConnectionError       no usable answer (refused, dropped, or timed out)
      │    └── APITimeoutError
      └── APIStatusError           Luma answered with a non-2xx status
           ├── BadRequestError     400 / 422: Luma's `detail` says what was wrong
           ├── AuthenticationError 401 / 403
           ├── NotFoundError       404
           ├── RateLimitError      429
           └── ServerError         5xx
```

Every message is written for the model that called the tool: it says what happened and what to do next.
None of them ever contains the API key.
"""

from __future__ import annotations

from typing import Any


class LumaMCPError(Exception):
    """Base class: catch this to catch everything luma-mcp raises on purpose."""


class ConfigurationError(LumaMCPError):
    pass


class InvalidRequestError(LumaMCPError, ValueError):
    """Bad input: raised before any request leaves the process, so it costs nothing."""


class GenerationFailedError(LumaMCPError):
    def __init__(self, generation_id: str, failure_reason: str | None) -> None:
        self.generation_id = generation_id
        self.failure_reason = failure_reason
        reason = failure_reason or "Luma gave no reason"
        super().__init__(
            f"Generation {generation_id} failed: {reason}. Failed generations are refunded by Luma; "
            "change the prompt or the keyframe images and create a new generation."
        )


class LumaError(LumaMCPError):
    pass


class CreateOutcomeUnknownError(LumaError):
    """Luma may or may not have started a paid generation; the message tells the model how to find out."""


class APIResponseError(LumaError):
    pass


class APIConnectionError(LumaError):
    """`may_have_reached_luma` is False only when the request provably never left (connect errors)."""

    def __init__(self, message: str, *, may_have_reached_luma: bool = True) -> None:
        super().__init__(message)
        self.may_have_reached_luma = may_have_reached_luma


class APITimeoutError(APIConnectionError):
    pass


class APIStatusError(LumaError):
    def __init__(self, message: str, *, status_code: int, detail: str | None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class ServerError(APIStatusError):
    pass


def outcome_unknown(tool: str) -> str:
    """For a paid call that ended in a way nobody planned for: it may have reached Luma, so say so."""
    return (
        f"{tool} ended unexpectedly after its request may have reached Luma, so it may have been charged. Check "
        "list_generations for the new generation before trying again, so the user is not charged twice."
    )


def out_of_time(what: str) -> str:
    return (
        f"{what} did not finish within this server's time limit for one call (LUMA_MCP_MAX_WAIT), so it was "
        "stopped. Call get_generation or list_generations to see where things stand, then try again if need be."
    )


def not_as_luma_writes_it(uri: str, canonical_uri: str) -> str:
    return f"{uri} names a generation id the way Luma never writes it; subscribe to {canonical_uri} instead."


def local_files_refused(path: object) -> str:
    return (
        f"{path} is a local file, and the Dream Machine API takes images and videos by public http(s) URL only. "
        "Pass a URL the file can be fetched from instead."
    )


def detail_text(body: Any) -> str | None:
    """Luma's error body is `{"detail": str}`; a FastAPI-style 422 puts a list of `{loc, msg}` there instead."""
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
                parts.append(f"{location}: {item.get('msg', '')}" if location else str(item.get("msg", "")))
        return "; ".join(parts) or None
    return None


def status_error(
    status_code: int, body: Any, *, method: str, path: str, retry_after: float | None = None
) -> APIStatusError:
    """Map Luma's answer to the most specific error, with a message that says what to do next."""
    detail = detail_text(body)
    said = f": {detail}" if detail else ""
    where = f"{method} {path}"
    if status_code in (400, 422):
        return BadRequestError(
            f"Luma rejected the request ({status_code}){said}", status_code=status_code, detail=detail
        )
    if status_code in (401, 403):
        return AuthenticationError(
            f"Luma refused the API key ({status_code}){said}. Check the key: LUMA_API_KEY in the server's "
            "configuration (or the X-Luma-Api-Key header, over HTTP); keys are made at "
            "https://lumalabs.ai/dream-machine/api/keys.",
            status_code=status_code,
            detail=detail,
        )
    if status_code == 404:
        return NotFoundError(
            f"Luma has no such resource ({where}){said}. Check the id, or call list_generations to see yours.",
            status_code=status_code,
            detail=detail,
        )
    if status_code == 429:
        asks = f" Luma asks to wait {retry_after:.0f} s." if retry_after else ""
        return RateLimitError(
            f"Luma's rate limit was hit (429){said}.{asks} Luma allows 10 video generations in flight and 20 "
            "creates a minute; wait for running generations to finish and try again.",
            status_code=status_code,
            detail=detail,
            retry_after=retry_after,
        )
    if status_code >= 500:
        return ServerError(
            f"Luma had a server error ({status_code}) on {where}{said}. It is usually brief; try again shortly.",
            status_code=status_code,
            detail=detail,
        )
    return APIStatusError(f"Luma answered {status_code} on {where}{said}", status_code=status_code, detail=detail)

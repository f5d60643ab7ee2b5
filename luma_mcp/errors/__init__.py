"""Every error luma-mcp raises, in one place; their texts are written in `luma_mcp.errors.wording`.

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

The classes carry facts (a status code, a generation id); the sentence the model reads is the message, and every
message is made by a function of `luma_mcp.errors.wording`, so all of them can be read, and kept consistent, side
by side. tests/test_architecture.py refuses an error built with text written anywhere else.
"""

from __future__ import annotations


class LumaMCPError(Exception):
    """Base class: catch this to catch everything luma-mcp raises on purpose."""


class ConfigurationError(LumaMCPError):
    pass


class InvalidRequestError(LumaMCPError, ValueError):
    """Bad input: raised before any request leaves the process, so it costs nothing."""


class GenerationFailedError(LumaMCPError):
    def __init__(self, message: str, *, generation_id: str, failure_reason: str | None) -> None:
        super().__init__(message)
        self.generation_id = generation_id
        self.failure_reason = failure_reason


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

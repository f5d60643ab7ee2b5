"""When to try a Luma request again, and how long to wait first: policy as data, no I/O."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
# A create is paid for, so no answer to one is retried here. Only a 429 proves Luma did not start it, and a 429 can
# ask for a minute's wait: `CreateQueue` waits it out within the call's time budget. A 408 or 409, like a 5xx, proves
# nothing (Luma, or a proxy in front of it, may have started the create before failing), so the client looks for
# the generation; any other 4xx is a refusal.
CREATE_OUTCOME_UNKNOWN_STATUSES = frozenset({408, 409})
# The longest Retry-After taken at its word; anything longer is a broken header, not a plan.
MAX_RETRY_AFTER = 86_400.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, the same curve as Luma's official SDK (0.5 s doubling to 8 s).

    `retries` is how many times a request may be repeated after the first try.
    """

    retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 20.0

    def delay(self, retries_taken: int, retry_after: float | None = None) -> float | None:
        """Seconds to sleep before the next try: the server's `Retry-After` when it gives one, else backoff.
        None when the server asks for a longer wait than a tool call can afford: give up and say so."""
        if retry_after is None:
            return self.backoff(retries_taken)
        return max(0.0, retry_after) if retry_after <= self.max_retry_after else None

    def backoff(self, retries_taken: int) -> float:
        return min(self.initial_delay * 2.0**retries_taken, self.max_delay) * random.uniform(0.75, 1.0)


def leaves_create_unknown(status_code: int) -> bool:
    """Whether a create answered with this error status may have started anyway."""
    return status_code >= 500 or status_code in CREATE_OUTCOME_UNKNOWN_STATUSES


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Read `retry-after-ms`, then `Retry-After` as seconds or as an HTTP date. A value no wait could honour
    (negative, nan, infinite, over a day) counts as absent: it must reach neither a sleep nor the model."""
    raw_ms, raw = headers.get("retry-after-ms"), headers.get("retry-after")
    for seconds in (_number(raw_ms, per_second=1000.0), _number(raw, per_second=1.0), _until(raw, now)):
        if seconds is not None and 0.0 <= seconds <= MAX_RETRY_AFTER:
            return seconds
    return None


def _number(raw: str | None, *, per_second: float) -> float | None:
    try:
        return None if raw is None else float(raw) / per_second
    except ValueError:
        return None


def _until(raw: str | None, now: datetime | None) -> float | None:
    """Seconds until an HTTP date (GMT when it names no zone); a date already past means now."""
    try:
        when = None if raw is None else parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

"""The retry policy and the retry DECISION, shared by the sync and asyncio executors.

Whether a failed attempt is retried, and how long to wait first, is a pure
function of the policy, the method, the attempt number and what came back (a
status and its ``Retry-After``, or a transport error). Only the waiting itself
differs between executors (``time.sleep`` vs ``asyncio.sleep``).
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

import httpx

__all__ = [
    "IDEMPOTENT_METHODS",
    "NOT_SENT_ERRORS",
    "RETRY_STATUSES",
    "RetryPolicy",
    "retry_after_seconds",
    "retry_wait",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "MGET", "PUT", "MPUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Failures that happen before a byte of the request is sent: safe to retry for any method.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """How a request is retried. Resolved per request from the API's settings (frozen, shared)."""

    max_retries: int
    backoff: float
    max_wait: float
    retry_post: bool

    def allows(self, method: str) -> bool:
        """True when `method` may be retried once the request was sent.

        A failure before anything was sent (`NOT_SENT_ERRORS`) is retried for
        every method, POST included, up to `max_retries`.
        """
        return self.max_retries > 0 and (method in IDEMPOTENT_METHODS or self.retry_post)

    def wait(self, attempt: int, response: httpx.Response | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based).

        Honours `Retry-After` (seconds or an HTTP date) when the server sent
        one; otherwise exponential backoff with full jitter.
        """
        header = response.headers.get("retry-after") if response is not None else None
        return self.wait_for(attempt, retry_after_seconds(header))

    def wait_for(self, attempt: int, retry_after: float | None) -> float:
        """`wait` given the already parsed ``Retry-After`` seconds (or ``None``)."""
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        cap = min(self.max_wait, self.backoff * (2 ** (attempt - 1)))
        return random.uniform(0, cap)


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) in seconds from now."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_wait(
    policy: RetryPolicy,
    method: str,
    retries_done: int,
    *,
    response: httpx.Response | None = None,
    error: Exception | None = None,
) -> float | None:
    """Seconds to wait before retrying, or ``None`` when the attempt is final.

    Args:
        policy: The policy in force for this request.
        method: The request's method (POST is retried only when not sent, or
            when the policy opts in).
        retries_done: Retries already made for this request.
        response: The answer of the attempt (its status and ``Retry-After``).
        error: The transport error of the attempt, when no answer came.
    """
    if retries_done >= policy.max_retries:
        return None
    if error is not None:
        if policy.allows(method) or isinstance(error, NOT_SENT_ERRORS):
            return policy.wait(retries_done + 1, None)
        return None
    if response is not None and response.status_code in RETRY_STATUSES and policy.allows(method):
        return policy.wait(retries_done + 1, response)
    return None

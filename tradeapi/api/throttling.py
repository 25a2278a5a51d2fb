"""Rate limits per client: by IP address for anonymous reads, by account when signed in.

DRF's own throttles copy the rates from settings once, when the module is imported; these
read them on every request instead, so an operator's environment and a test's override of
settings are both what applies.

The counters live in the cache (Redis when REDIS_URL is set). When the cache cannot be
reached the throttles fail open: the request is served unthrottled, the failure logged and
counted (`fail_open_count`, shown by /readyz). A rate limit protects the service; it must not
be the thing that takes every read down with it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework import throttling

if TYPE_CHECKING:  # DRF's views import the throttles through its settings.
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# After a failure, leave the cache alone this long: a Redis that is down would otherwise
# cost every request a connection attempt (and a socket timeout if it is unreachable).
RETRY_CACHE_AFTER_SECONDS = 5.0

_lock = threading.Lock()
_fail_open = 0
_skip_until = 0.0


def fail_open_count() -> int:
    """Requests this process let through unthrottled because the cache failed."""
    return _fail_open


def reset_fail_open() -> None:
    """Forget past failures (tests; an operator's restart does the same)."""
    global _fail_open, _skip_until
    with _lock:
        _fail_open = 0
        _skip_until = 0.0


def _record_failure(error: Exception) -> None:
    global _fail_open, _skip_until
    with _lock:
        _fail_open += 1
        count = _fail_open
        first = _skip_until <= time.monotonic()
        _skip_until = time.monotonic() + RETRY_CACHE_AFTER_SECONDS
    if first:
        logger.error(
            "Throttle cache unavailable, serving unthrottled for %.0f s (%d so far): %r",
            RETRY_CACHE_AFTER_SECONDS,
            count,
            error,
        )


def client_address(request: Any) -> str | None:
    """The address a client is known by (throttles, login lock-outs): the connection's, or
    X-Forwarded-For's as far as TRUSTED_PROXIES vouch for it."""
    return throttling.BaseThrottle().get_ident(request)


def _rate(scope: str | None) -> str | None:
    rates: Any = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    return rates.get(scope) if scope else None


class FailOpenMixin:
    def allow_request(self, request: Request, view: APIView) -> bool:
        global _fail_open
        if getattr(self, "rate", None) is None:
            return True
        if _skip_until > time.monotonic():
            with _lock:
                _fail_open += 1
            return True
        try:
            return bool(super().allow_request(request, view))  # type: ignore[misc]
        # Whatever the cache client raises (redis.ConnectionError, TimeoutError, OSError...):
        # every failure of the cache is a reason to serve, none to refuse.
        except Exception as error:
            _record_failure(error)
            return True


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)

"""Rate limits per client: by IP address for anonymous reads, by account when signed in.

DRF's own throttles copy the rates from settings once, when the module is imported; these
read them on every request instead, so an operator's environment and a test's override of
settings are both what applies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import throttling


def _rate(scope: str | None) -> str | None:
    rates: Any = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    return rates.get(scope) if scope else None


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)

"""Query parameters shared by several views."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="Date the agreement's `status` and `expires_on` are computed for, as known "
    "that day (YYYY-MM-DD, default today).",
)


def as_of(request: Request | None) -> dt.date:
    """`?as_of=YYYY-MM-DD`, default today; a malformed date is a 400 naming `as_of`."""
    raw = request.query_params.get("as_of") if request is not None else None
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise serializers.ValidationError({"as_of": ["Enter a date as YYYY-MM-DD."]}) from error


PARTY = OpenApiParameter(
    "party",
    OpenApiTypes.STR,
    many=True,
    explode=True,
    description="Code of a party, case-insensitive; repeat it (`party=US&party=CN`): all "
    "must be parties.",
)

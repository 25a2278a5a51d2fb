"""JSON answers for URLs that match no route, in the same shape as every other 4xx."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse


def not_found(
    request: HttpRequest, exception: Exception | None = None, **kwargs: Any
) -> JsonResponse:
    """Unknown URLs (and unknown API versions) answer a JSON 404, never Django's HTML page."""
    return JsonResponse(
        {
            "type": "client_error",
            "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
        },
        status=404,
    )

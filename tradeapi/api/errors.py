"""The one error shape of every 4xx (drf-standardized-errors'), for the answers DRF does not
build itself: URLs with no route, body limits, database conflicts, failed preconditions.

`error_body` is the shape; the exceptions below go through DRF's exception handler, and the
`ErrorResponse<status>Serializer` classes document the statuses the library does not know.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response


def error_body(code: str, detail: str, attr: str | None = None) -> dict[str, Any]:
    """drf-standardized-errors' body for one client error, for answers given outside DRF."""
    return {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": attr}]}


def error_response(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(code, detail), status=status_code)


@csrf_exempt
def not_found(
    request: HttpRequest, exception: Exception | None = None, **kwargs: Any
) -> JsonResponse:
    """Unknown URLs (and unknown API versions) answer a JSON 404, never Django's HTML page.

    Exempt from CSRF: a POST to a URL with no route has nothing to protect, and its answer
    must say that the URL is wrong, not that a cookie is missing. A URL that exists with a
    trailing slash says so, since that is the usual slip.
    """
    path = request.path_info
    if not path.endswith("/") and _routed(f"{path}/"):
        return error_response(
            404, "not_found", f"Not found. Did you mean {request.path}/ (with a trailing slash)?"
        )
    return error_response(404, "not_found", "Not found.")


def _routed(path: str) -> bool:
    """Whether `path` reaches a real view rather than the catch-all 404."""
    try:
        return resolve(path).func is not not_found
    except Resolver404:
        return False


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The write conflicts with the current data; reload and try again."
    default_code = "conflict"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The record changed since you read it (If-Match does not match its current ETag). "
        "Read it again and reapply your change."
    )
    default_code = "precondition_failed"


class ConflictCode(models.TextChoices):
    CONFLICT = "conflict", "Conflict"


class PreconditionFailedCode(models.TextChoices):
    PRECONDITION_FAILED = "precondition_failed", "Precondition failed"


class PayloadTooLargeCode(models.TextChoices):
    REQUEST_TOO_LARGE = "request_too_large", "Request too large"


def single_error_response(
    status_code: int, codes: type[models.TextChoices], detail: str = "Human-readable message."
) -> type[serializers.Serializer[Any]]:
    """The schema of an error answer with exactly one error, for the codes drf-standardized-
    errors does not know (409, 412, 413): `ErrorResponse<status>` holding one `Error<status>`.

    The classes are built here so the three answers cannot drift apart in shape.
    """
    only = ", ".join(f"`{value}`" for value in codes.values)
    error = type(
        f"Error{status_code}Serializer",
        (serializers.Serializer,),
        {
            "code": serializers.ChoiceField(choices=codes.choices, help_text=f"Always {only}."),
            "detail": serializers.CharField(help_text=detail),
            "attr": serializers.CharField(allow_null=True, help_text="Always null."),
        },
    )
    return type(
        f"ErrorResponse{status_code}Serializer",
        (serializers.Serializer,),
        {
            "type": serializers.ChoiceField(
                choices=ClientErrorEnum.choices, help_text="`client_error`."
            ),
            "errors": error(many=True, help_text="One error."),
        },
    )


ErrorResponse409Serializer = single_error_response(409, ConflictCode)
ErrorResponse412Serializer = single_error_response(412, PreconditionFailedCode)
# Documents tradeapi.middleware.RequestBodyLimitMiddleware's answer.
ErrorResponse413Serializer = single_error_response(
    413, PayloadTooLargeCode, "Human-readable message with both sizes."
)


class ConflictAsError:
    """Viewset mixin: a constraint the database enforces after validation passed (two writes
    racing) is the client's conflict to resolve, so it answers 409 rather than 500."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IntegrityError):
            exc = Conflict()
        return super().handle_exception(exc)  # type: ignore[misc]

"""The one error shape of every 4xx and 5xx (drf-standardized-errors'), for the answers DRF
does not build itself: URLs with no route, body limits, database conflicts, failed
preconditions, and the database being out of reach (503, `ExceptionHandler` for DRF's views,
`server_error` and tradeapi.middleware for the rest).

`error_body` is the shape; the exceptions below go through DRF's exception handler, and the
`ErrorResponse<status>Serializer` classes document the statuses the library does not know.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, models
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_standardized_errors.handler import ExceptionHandler as StandardizedExceptionHandler
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait after a 503: long enough for a database restart or a
# failover to finish, short enough that a load balancer's retries find it back soon.
OUTAGE_RETRY_AFTER = 5


def error_body(
    code: str, detail: str, attr: str | None = None, kind: str = "client_error"
) -> dict[str, Any]:
    """drf-standardized-errors' body for one error, for answers given outside DRF."""
    return {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}


def error_response(status_code: int, code: str, detail: str) -> JsonResponse:
    kind = "server_error" if status_code >= 500 else "client_error"
    return JsonResponse(error_body(code, detail, kind=kind), status=status_code)


def is_outage(exc: BaseException | None) -> bool:
    """Whether `exc` means the database cannot answer now, rather than a bug or bad input.

    Django raises OperationalError for a server that is down, restarting or refusing
    connections, for a statement cancelled by `statement_timeout` or `lock_timeout`, a
    deadlock or serialization failure (all worth a retry), and SQLite's "database is
    locked"; InterfaceError for a connection that broke under it. Integrity, data and
    programming errors are not outages and keep their own answers.
    """
    return isinstance(exc, OperationalError | InterfaceError)


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable or busy; retry after the Retry-After delay."
    default_code = "service_unavailable"


def outage_response() -> JsonResponse:
    response = error_response(
        503, ServiceUnavailable.default_code, ServiceUnavailable.default_detail
    )
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    return response


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """handler500: an exception that escaped every view and middleware (a session saved as
    the answer leaves, say). Django calls this inside its `except` block, so the exception
    is still at hand: a database outage answers 503, anything else a JSON 500."""
    if is_outage(sys.exc_info()[1]):
        return outage_response()
    return error_response(500, "error", "A server error occurred.")


class ExceptionHandler(StandardizedExceptionHandler):
    """drf-standardized-errors' handler, with database outages answered as 503s."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if is_outage(exc):
            logger.warning("Database unavailable, answering 503: %s", exc)
            return ServiceUnavailable()
        return super().convert_known_exceptions(exc)

    def get_headers(self, exc: APIException) -> dict[str, str]:
        headers: dict[str, str] = super().get_headers(exc)
        if isinstance(exc, ServiceUnavailable):
            headers["Retry-After"] = str(OUTAGE_RETRY_AFTER)
        return headers


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


class ServiceUnavailableCode(models.TextChoices):
    SERVICE_UNAVAILABLE = "service_unavailable", "Service unavailable"


def single_error_response(
    status_code: int, codes: type[models.TextChoices], detail: str = "Human-readable message."
) -> type[serializers.Serializer[Any]]:
    """The schema of an error answer with exactly one error, for the codes drf-standardized-
    errors does not know (409, 412, 413, 503): `ErrorResponse<status>` holding one
    `Error<status>`.

    The classes are built here so the answers cannot drift apart in shape.
    """
    kinds = ServerErrorEnum if status_code >= 500 else ClientErrorEnum
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
                choices=kinds.choices, help_text=f"`{kinds.values[0]}`."
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
ErrorResponse503Serializer = single_error_response(
    503,
    ServiceUnavailableCode,
    "Human-readable message. The database is down, restarting or too busy; the answer's "
    "`Retry-After` header says how many seconds to wait before retrying.",
)


class ConflictAsError:
    """Viewset mixin: a constraint the database enforces after validation passed (two writes
    racing) is the client's conflict to resolve, so it answers 409 rather than 500."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IntegrityError):
            exc = Conflict()
        return super().handle_exception(exc)  # type: ignore[misc]

"""Database conflicts as API errors, in drf-standardized-errors' shape."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The write conflicts with the current data; reload and try again."
    default_code = "conflict"


class ConflictCode(models.TextChoices):
    CONFLICT = "conflict", "Conflict"


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


class ConflictAsError:
    """Viewset mixin: a constraint the database enforces after validation passed (two writes
    racing, e.g. overlapping in-force periods inserted at once) is the client's conflict to
    resolve, so it answers 409 rather than 500."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IntegrityError):
            exc = Conflict()
        return super().handle_exception(exc)  # type: ignore[misc]

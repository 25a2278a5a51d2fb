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


class Error409Serializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(choices=ConflictCode.choices, help_text="Always `conflict`.")
    detail = serializers.CharField(help_text="Human-readable message.")
    attr = serializers.CharField(allow_null=True, help_text="Always null.")


class ErrorResponse409Serializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices, help_text="`client_error`.")
    # Shadows Serializer.errors on purpose: the field must be called `errors` in the body.
    errors = Error409Serializer(many=True, help_text="One error.")  # type: ignore[assignment]


class ConflictAsError:
    """Viewset mixin: a constraint the database enforces after validation passed (two writes
    racing, e.g. overlapping in-force periods inserted at once) is the client's conflict to
    resolve, so it answers 409 rather than 500."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, IntegrityError):
            exc = Conflict()
        return super().handle_exception(exc)  # type: ignore[misc]

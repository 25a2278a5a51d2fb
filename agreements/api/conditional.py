"""Conditional requests: ETags on every answer, 304 for unchanged reads, 412 for stale writes.

The ETag of a response is the MD5 of its body (agreements.api.middleware.ETagMiddleware).
A client that read a record and writes it back with `If-Match: <that ETag>` is told 412 when
someone else changed the record in between, instead of silently overwriting their change
(the lost update). The check and the write run in one transaction with the row locked, so
two writers holding the same ETag cannot both pass.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import models, transaction
from django.utils.http import parse_etags, quote_etag
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api.exceptions import single_error_response


def etag_of(body: bytes) -> str:
    # Not for security: a fingerprint of the representation, as Django's own ETags are.
    return quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The record changed since you read it (If-Match does not match its current ETag). "
        "Read it again and reapply your change."
    )
    default_code = "precondition_failed"


class PreconditionFailedCode(models.TextChoices):
    PRECONDITION_FAILED = "precondition_failed", "Precondition failed"


ErrorResponse412Serializer = single_error_response(412, PreconditionFailedCode)


class PayloadTooLargeCode(models.TextChoices):
    REQUEST_TOO_LARGE = "request_too_large", "Request too large"


# Documents tradeapi.middleware.RequestBodyLimitMiddleware's answer.
ErrorResponse413Serializer = single_error_response(
    413, PayloadTooLargeCode, "Human-readable message with both sizes."
)


class ConditionalWrites:
    """Viewset mixin: PUT, PATCH and DELETE honour `If-Match`, atomically.

    Without `If-Match` a write goes ahead (the header is how a client opts in to the check);
    with it, the record's current representation must have that ETag, `*` matching any.
    """

    # Set while update() or destroy() runs. Not the request method: DRF's OPTIONS answer
    # calls get_object() under a pretend PUT to describe the form, outside any transaction.
    writing = False

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            self.writing = True
            return super().update(request, *args, **kwargs)  # type: ignore[misc]

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            self.writing = True
            return super().destroy(request, *args, **kwargs)  # type: ignore[misc]

    def get_object(self) -> Any:
        instance = super().get_object()  # type: ignore[misc]
        request: Request = self.request  # type: ignore[attr-defined]
        if not self.writing:
            return instance
        # Lock the row until the write commits: a second writer waits here, then reads the
        # first one's result and fails the check below instead of overwriting it. The first
        # read found the record (or answered 404); the second sees the latest committed
        # version. (SQLite has no row locks; its IMMEDIATE transactions serialize writers.)
        model = type(instance)
        list(model._default_manager.select_for_update().filter(pk=instance.pk).values_list("pk"))
        instance = super().get_object()  # type: ignore[misc]
        header = request.headers.get("If-Match")
        if header is None:
            return instance
        current = etag_of(self.current_representation(instance))
        wanted = parse_etags(header)
        if "*" not in wanted and current not in wanted:
            raise PreconditionFailed()
        return instance

    def current_representation(self, instance: Any) -> bytes:
        """The body a GET of this record answers now, byte for byte, for its ETag."""
        serializer = self.get_serializer(instance)  # type: ignore[attr-defined]
        return JSONRenderer().render(serializer.data)

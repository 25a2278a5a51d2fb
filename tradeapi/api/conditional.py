"""Conditional requests: ETags on every answer, 304 for unchanged reads, 412 for stale writes.

The ETag of a response is the MD5 of its body (`ETagMiddleware`). A client that read a
record and writes it back with `If-Match: <that ETag>` is told 412 when someone else
changed the record in between, instead of silently overwriting their change (the lost
update). The check and the write run in one transaction with the row locked, so
two writers holding the same ETag cannot both pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_etags, quote_etag
from rest_framework.request import Request
from rest_framework.response import Response

from tradeapi.api.errors import PreconditionFailed


def etag_of(body: bytes) -> str:
    # Not for security: a fingerprint of the representation, as Django's own ETags are.
    return quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())


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
        # Without the model's default ordering, which goes through its measure or importer:
        # FOR UPDATE over that join would lock the parent row too.
        model = type(instance)
        locked = model._default_manager.select_for_update().filter(pk=instance.pk).order_by()
        list(locked.values_list("pk"))
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
        """The body a GET of this record answers now, byte for byte, for its ETag.

        Rendered as this request negotiated it (`Accept: application/json; indent=4` is
        another body with another tag), so a client that sends the Accept header it read
        with is compared against the representation it was given.
        """
        request: Request = self.request  # type: ignore[attr-defined]
        serializer = self.get_serializer(instance)  # type: ignore[attr-defined]
        renderer = request.accepted_renderer
        context = self.get_renderer_context()  # type: ignore[attr-defined]
        return bytes(renderer.render(serializer.data, request.accepted_media_type, context))


Handler = Callable[[HttpRequest], HttpResponse]


class ETagMiddleware:
    """An ETag on every successful answer; `If-None-Match` reads answer 304.

    The tag is the MD5 of the body, so it changes exactly when the representation does,
    for lists, details and the rate engine's computed answers alike. Writes carry the
    record's new tag too, so a client can chain `If-Match` writes without a read between.
    Django's ConditionalGetMiddleware does the same for GET only and tags error answers too;
    the 304/412 decision itself is Django's `get_conditional_response`.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.streaming or not 200 <= response.status_code < 300 or not response.content:
            return response
        if request.method not in ("GET", "HEAD", "POST", "PUT", "PATCH"):
            return response
        if not response.has_header("ETag"):
            response.headers["ETag"] = etag_of(response.content)
        if request.method in ("GET", "HEAD"):
            # 304 for a matching If-None-Match, 412 for a failing If-Match on a read.
            conditional = get_conditional_response(
                request, etag=response["ETag"], response=response
            )
            return conditional if conditional is not None else response
        return response

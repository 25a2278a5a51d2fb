"""Project-wide HTTP middleware: request body limits and entity tags."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response

from agreements.api.conditional import etag_of

Handler = Callable[[HttpRequest], HttpResponse]


class RequestBodyLimitMiddleware:
    """Refuse a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads it.

    Django enforces that setting only when a view reads `request.body` or form data; DRF's
    parsers read the stream instead, so without this a client could make a worker buffer
    and parse any amount of JSON. Under WSGI the body a view can read is exactly
    Content-Length bytes (a chunked body arrives without one and reads as empty), so the
    header is the size to check.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _client_error(400, "invalid_content_length", "Content-Length is not a number.")
        if limit is not None and length > limit:
            return _client_error(
                413,
                "request_too_large",
                f"The request body is {length:,} bytes; the limit is {limit:,}.",
            )
        return self.get_response(request)


class ETagMiddleware:
    """An ETag on every successful answer; `If-None-Match` reads answer 304.

    The tag is the MD5 of the body, so it changes exactly when the representation does,
    for lists, details and the rate engine's computed answers alike. Writes carry the
    record's new tag too, so a client can chain `If-Match` writes without a read between;
    agreements.api.conditional checks `If-Match` on writes against the same tag.
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


def _client_error(status: int, code: str, detail: str) -> JsonResponse:
    """drf-standardized-errors' shape, for answers given before DRF is involved."""
    return JsonResponse(
        {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": None}]},
        status=status,
    )


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on data answers (JSON, CSV).

    They are never meant to run as a page, so nothing may load from them and nothing may
    frame them, even if a browser were tricked into rendering one. The HTML pages (admin,
    API docs) keep their own needs and get the X-Frame-Options and nosniff headers only.
    """

    POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        media = response.get("Content-Type", "").split(";")[0]
        if media in ("application/json", "text/csv"):
            response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response

"""Project-wide HTTP middleware: request body limits, database outages as 503s, and the
Content-Security-Policy (entity tags are `tradeapi.api.conditional.ETagMiddleware`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tradeapi.api.errors import error_response, is_outage, outage_response

Handler = Callable[[HttpRequest], HttpResponse]
logger = logging.getLogger(__name__)


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
            return error_response(400, "invalid_content_length", "Content-Length is not a number.")
        if limit is not None and length > limit:
            return error_response(
                413,
                "request_too_large",
                f"The request body is {length:,} bytes; the limit is {limit:,}.",
            )
        return self.get_response(request)


# HTML pages: everything from the app's own origin, nothing inline, no plugins, no framing.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The admin's scripts are all files, but its templates and widgets (the list page without
# actions, the history list, the autocomplete's dropdown) set a few inline styles.
ADMIN_POLICY = f"{PAGE_POLICY}; style-src 'self' 'unsafe-inline'"
ADMIN_PREFIX = "/admin/"


class DatabaseOutageMiddleware:
    """A view outside DRF (the admin, the schema's HTML pages) that hits a database outage
    answers a JSON 503 with Retry-After, as the API's views do, instead of a 500: the client
    and the load balancer can tell "retry soon" from "this is broken"."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            logger.warning(
                "Database unavailable, answering 503 for %s: %s", request.path, exception
            )
            return outage_response()
        return None


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every answer.

    Data answers (JSON, CSV) are never meant to run as a page, so nothing may load from
    them and nothing may frame them, even if a browser were tricked into rendering one.
    HTML pages may load only from the app itself (README: nothing comes from a CDN); a
    page that needs more sets its own header (the API docs, tradeapi.api.docs), which this
    leaves alone. Django's debug pages (DEBUG on, an error status) style themselves inline
    and are left without one.
    """

    POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        media = response.get("Content-Type", "").split(";")[0]
        if media in ("application/json", "text/csv"):
            response.headers.setdefault("Content-Security-Policy", self.POLICY)
        elif media == "text/html" and not (settings.DEBUG and response.status_code >= 400):
            admin = request.path_info.startswith(ADMIN_PREFIX)
            policy = ADMIN_POLICY if admin else PAGE_POLICY
            response.headers.setdefault("Content-Security-Policy", policy)
        return response

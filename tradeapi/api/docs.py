"""The API's docs pages (Swagger UI, Redoc), every asset served by the app itself.

drf-spectacular's pages are used with our templates: Redoc without its web fonts and with
its start-up script in a file, Swagger UI with its init script fetched from the page's own
URL (`?script`) rather than inlined, so both run under a Content-Security-Policy that
allows only the app's own origin, plus what each library needs at run time (below).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

from tradeapi.middleware import PAGE_POLICY

# Swagger UI draws its icons as inline SVG (data: images) and its "Try it out" calls the API
# on the same origin; it needs nothing else.
SWAGGER_POLICY = PAGE_POLICY
# Redoc styles itself by inserting <style> elements (styled-components), and runs its
# search index in a worker it builds from a blob: URL. Its sidebar credits its makers with a
# logo from their CDN, which `img-src` refuses without a request: the image is dropped.
REDOC_POLICY = f"{PAGE_POLICY}; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "docs/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = SWAGGER_POLICY
        return response


class RedocView(SpectacularRedocView):
    template_name = "docs/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = REDOC_POLICY
        return response

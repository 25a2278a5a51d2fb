"""The schema endpoint (`/api/v1/schema/`). Apart from tradeapi.api.schema, which DRF's
settings import while drf-spectacular's views are still loading."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request


class CachedSchemaView(SpectacularAPIView):
    """`/schema/`, generated and rendered once per process, version and format instead of on
    every request.

    Generating walks every view and serializer (about a second of CPU), rendering the YAML
    another fifth, and the answer can only change with the code, which a running process
    does not reload. Content negotiation, the content types and the bytes are drf-
    spectacular's own, so JSON and YAML answer exactly what they did. Not served from
    docs/openapi.yaml: the served document names the API version in `info.version`
    ("1.0.0 (v1)"), which the committed file, generated without a request, does not.
    """

    _documents: ClassVar[dict[tuple[str | None, str], Any]] = {}
    _rendered: ClassVar[dict[tuple[str | None, str, str], tuple[str, bytes]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def clear_cache(cls) -> None:
        with cls._lock:
            cls._documents.clear()
            cls._rendered.clear()

    def _get_schema_response(self, request: Request) -> HttpResponse:
        version = self.api_version or request.version or self._get_version_parameter(request)
        language = translation.get_language()
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        key = (version, language, media_type)
        with self._lock:
            if key not in self._rendered:
                document = self._documents.get((version, language))
                if document is None:
                    generator = self.generator_class(
                        urlconf=self.urlconf, api_version=version, patterns=self.patterns
                    )
                    document = generator.get_schema(request=request, public=self.serve_public)
                    self._documents[(version, language)] = document
                content = renderer.render(document, media_type, self.get_renderer_context())
                # What DRF's Response would have declared for this renderer.
                content_type = renderer.media_type
                if renderer.charset:
                    content_type = f"{content_type}; charset={renderer.charset}"
                self._rendered[key] = (content_type, content)
            content_type, content = self._rendered[key]
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'inline; filename="{self._get_filename(request, version)}"'
        )
        return response

"""The schema endpoint (`/api/v1/schema/`). Apart from tradeapi.api.schema, which DRF's
settings import while drf-spectacular's views are still loading."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request

from tradeapi.api import schema_build


class CachedSchemaView(SpectacularAPIView):
    """`/schema/`, served from the deployment's build (tradeapi.api.schema_build), else
    generated and rendered once per process, version and format.

    Generating walks every view and serializer (about a second of CPU), rendering the YAML
    another fifth, and the answer can only change with the code, which a running process
    does not reload. Content negotiation, the content types and the bytes are drf-
    spectacular's own, so JSON and YAML answer exactly what they did. Not served from
    docs/openapi.yaml: the served document names the API version in `info.version`
    ("1.0.0 (v1)"), which the committed file, generated without a request, does not.
    """

    # False for the build itself (manage.py build_schema), which must generate.
    use_build: bool = True
    _documents: ClassVar[dict[tuple[str | None, str], Any]] = {}
    _rendered: ClassVar[dict[tuple[str | None, str, str], tuple[str, bytes]]] = {}
    _built: ClassVar[schema_build.Documents | None] = None
    _build_read: ClassVar[bool] = False
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def clear_cache(cls) -> None:
        with cls._lock:
            cls._documents.clear()
            cls._rendered.clear()
            cls._built = None
            cls._build_read = False

    @classmethod
    def _from_build(cls, key: tuple[str | None, str, str]) -> tuple[str, bytes] | None:
        if not cls._build_read:
            cls._built = schema_build.load(Path(settings.SCHEMA_BUILD_DIR))
            cls._build_read = True
        return cls._built.get(key) if cls._built is not None else None

    def _get_schema_response(self, request: Request) -> HttpResponse:
        version = self.api_version or request.version or self._get_version_parameter(request)
        language = translation.get_language()
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        key = (version, language, media_type)
        with self._lock:
            cached = (self._rendered.get(key) or self._from_build(key)) if self.use_build else None
            if cached is None:
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
                cached = (content_type, content)
            self._rendered[key] = cached
            content_type, content = cached
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'inline; filename="{self._get_filename(request, version)}"'
        )
        return response

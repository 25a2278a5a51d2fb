"""`manage.py build_schema`: the OpenAPI documents the schema endpoint serves, built once when
deploying (`make serve` runs it after collectstatic) rather than in every worker process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.test import RequestFactory
from django.utils import translation

from tradeapi.api import schema_build
from tradeapi.api.schema_view import CachedSchemaView


def render(version: str | None, language: str, media_type: str) -> tuple[str, bytes]:
    """The document as `GET /api/<version>/schema/` with this Accept answers it."""
    view = CachedSchemaView.as_view(use_build=False)
    request = RequestFactory().get(f"/api/{version}/schema/", HTTP_ACCEPT=media_type)
    with translation.override(language):
        response = view(request, version=version)
    if response.status_code != 200:
        raise RuntimeError(f"{media_type} for {version}: {response.status_code}")
    return response["Content-Type"], response.content


class Command(BaseCommand):
    help = (
        "Render every OpenAPI document /api/<version>/schema/ serves, in every format, into "
        "SCHEMA_BUILD_DIR (or --output), with a manifest naming the code they were built "
        "from; the endpoint serves them while the code is the same."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, default=None, help="Directory (default SCHEMA_BUILD_DIR)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["output"] or Path(settings.SCHEMA_BUILD_DIR)
        media_types = [renderer.media_type for renderer in CachedSchemaView.renderer_classes]
        count = schema_build.build(directory, media_types, render)
        self.stdout.write(f"{count} schema documents built in {directory}.")

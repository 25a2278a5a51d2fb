"""Content negotiation: an unknown `?format=` is the client's mistake in a parameter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from tradeapi.api.serializers import refuse_blank_parameters


class ContentNegotiation(DefaultContentNegotiation):
    """DRF answers an unknown `?format=` with a 404, as if the resource did not exist; the
    resource does, the parameter is wrong, so it is a 400 naming `format` and the formats
    that this URL offers. A blank `?format=`, which DRF ignores, is refused as any blank
    parameter is (tradeapi.api.serializers.BLANK), on every operation."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        if not format_suffix:
            refuse_blank_parameters(request.query_params, [self.settings.URL_FORMAT_OVERRIDE])
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(
        self, renderers: Iterable[BaseRenderer], format: str
    ) -> list[BaseRenderer]:
        renderers = list(renderers)
        offered = [renderer for renderer in renderers if renderer.format == format]
        if not offered:
            names = ", ".join(f"`{r.format}`" for r in renderers)
            raise serializers.ValidationError(
                {"format": [f"`{format}` is not offered here; choose one of: {names}."]},
                code="invalid",
            )
        return offered

"""Content negotiation: an unknown `?format=` is the client's mistake in a parameter."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class ContentNegotiation(DefaultContentNegotiation):
    """DRF answers an unknown `?format=` with a 404, as if the resource did not exist; the
    resource does, the parameter is wrong, so it is a 400 naming `format` and the formats
    that this URL offers."""

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

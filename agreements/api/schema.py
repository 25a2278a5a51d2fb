"""OpenAPI generation: drf-standardized-errors' schema, taught about query-parameter views."""

from __future__ import annotations

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema


class AutoSchema(StandardizedErrorsAutoSchema):
    """Documents the 400 of views that validate their query string with a serializer.

    drf-standardized-errors adds a validation-error response only for request bodies and
    django-filter filters; views with a `query_serializer_class` answer 400 too.
    """

    def _should_add_validation_error_response(self) -> bool:
        if getattr(self.view, "query_serializer_class", None) is not None:
            return True
        return bool(super()._should_add_validation_error_response())

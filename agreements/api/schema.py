"""OpenAPI generation: drf-standardized-errors' schema, taught about query-parameter views."""

from __future__ import annotations

from typing import Any

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

# Codes every query parameter can produce besides its field's own (DRF's CharField refuses
# NUL and surrogate characters; our code fields add `invalid` from their regex validators).
COMMON_QUERY_CODES = {
    "required",
    "invalid",
    "null",
    "null_characters_not_allowed",
    "surrogate_characters_not_allowed",
}


def document_query_errors(view: type[Any]) -> type[Any]:
    """Declare, for the schema, the validation codes each query parameter of a view can
    produce, read from its query serializer's fields so they cannot drift apart."""
    for name, field in view.query_serializer_class().fields.items():
        codes = sorted(COMMON_QUERY_CODES | set(field.default_error_messages))
        view = extend_validation_errors(codes, field_name=name, methods=["get"])(view)
    return view


class AutoSchema(StandardizedErrorsAutoSchema):
    """Documents the 400 of views that validate their query string with a serializer.

    drf-standardized-errors adds a validation-error response only for request bodies and
    django-filter filters; views with a `query_serializer_class` answer 400 too.
    """

    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code == "409":
            return (
                self.method in ("POST", "PUT", "PATCH", "DELETE") and status_code not in responses
            )
        return bool(super()._should_add_error_response(responses, status_code))

    def _should_add_validation_error_response(self) -> bool:
        if getattr(self.view, "query_serializer_class", None) is not None:
            return True
        return bool(super()._should_add_validation_error_response())


ERROR_FIELDS = {
    "type": "Kind of error: `validation_error`, `client_error` or `server_error`.",
    "errors": "The errors, one per offending field or parameter.",
    "code": "Machine-readable error code.",
    "detail": "Human-readable message.",
    "attr": "The offending field or query parameter; null when the error is not about one.",
}
PAGE_FIELDS = {
    "count": "Number of records matching the query, over all pages.",
    "next": "URL of the next page; null on the last.",
    "previous": "URL of the previous page; null on the first.",
    "results": "The records of this page.",
}
ID = "Numeric id of the record; stable, used in URLs."
PATH_KEYS = {
    "slug": "The agreement's slug, e.g. us-cn-geneva-truce.",
    "code": "The economy code (e.g. US) or HS code (e.g. 950300).",
}
FORMAT = "Response format: `json` (default) or `csv`; `Accept: text/csv` does the same."


def describe_generated_parts(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Describe what drf-spectacular and drf-standardized-errors generate without a text:
    page envelopes, error components, ids, lookup keys in paths, and `format`."""
    for component, schema in result.get("components", {}).get("schemas", {}).items():
        if "enum" in schema and not schema.get("description"):
            schema["description"] = "One of: " + ", ".join(f"`{v}`" for v in schema["enum"])
        generic = PAGE_FIELDS if component.startswith("Paginated") else ERROR_FIELDS
        for name, prop in (schema.get("properties") or {}).items():
            if "description" in prop:
                continue
            if name in generic:
                prop["description"] = generic[name]
            elif name == "id":
                prop["description"] = ID
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("description"):
                    continue
                if parameter["name"] == "format":
                    parameter["description"] = FORMAT
                elif parameter["in"] == "path" and parameter["name"] in PATH_KEYS:
                    parameter["description"] = PATH_KEYS[parameter["name"]]
    return result

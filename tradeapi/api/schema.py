"""OpenAPI generation: drf-standardized-errors' schema, taught about query-parameter views."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from rest_framework import serializers

from tradeapi.api.serializers import UNKNOWN_PARAMETER, BoundedManyRelatedField

# Codes every query parameter can produce besides its field's own (DRF's CharField refuses
# NUL and surrogate characters; our code fields add `invalid` from their regex validators).
COMMON_QUERY_CODES = {
    "required",
    "invalid",
    "null",
    "null_characters_not_allowed",
    "surrogate_characters_not_allowed",
}


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' schema, documenting the 400s it cannot see by itself, read
    from what the view declares, so a new viewset needs no error decorators:

    - query parameters validated by a `query_serializer_class` (the engine, the changes
      feed): each field's own codes plus the ones every query parameter can produce;
    - a list's `page`, `page_size`, `ordering` and `search`;
    - date parameters declared with `extend_schema` (`as_of`): a malformed date;
    - capped lists in request bodies: related keys (MAX_RELATED) and nested lists with a
      `max_length` (a round's delegates), which the library does not read from list fields.
    """

    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        errors: dict[str, set[str]] = {
            name: set(codes) for name, codes in super()._get_extra_validation_errors().items()
        }

        def add(name: str, *codes: str) -> None:
            errors.setdefault(name, set()).update(codes)

        query_serializer = getattr(self.view, "query_serializer_class", None)
        if query_serializer is not None and self.method == "GET":
            for name, field in query_serializer().fields.items():
                add(name, *COMMON_QUERY_CODES, *field.default_error_messages)
        if getattr(self.view, "action", None) == "list":
            for name in ("page", "page_size", "ordering"):
                add(name, "invalid")
            if getattr(self.view, "search_fields", None):
                add("search", "null_characters_not_allowed", "surrogate_characters_not_allowed")
        if self.method == "GET":
            for parameter in self.get_override_parameters():
                if isinstance(parameter, OpenApiParameter) and parameter.type is OpenApiTypes.DATE:
                    add(parameter.name, "invalid")
        if self.method in ("POST", "PUT", "PATCH"):
            serializer = self.get_request_serializer()
            for name, field in getattr(serializer, "fields", {}).items():
                if field.read_only:
                    continue
                if isinstance(field, BoundedManyRelatedField):
                    add(name, "max_length")
                elif isinstance(field, serializers.ListSerializer):
                    # Errors about the list as a whole; a null item is named by position.
                    add(name, "invalid", "null")
                    add(f"{name}.INDEX", "null")
                    if getattr(field, "max_length", None) is not None:
                        add(f"{name}.non_field_errors", "max_length")
        return errors

    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code == "412":
            return self._honours_if_match()
        if status_code == "413":  # Bodies over the size limit (tradeapi.middleware).
            return self.method in ("POST", "PUT", "PATCH")
        if status_code == "409":
            return (
                self.method in ("POST", "PUT", "PATCH", "DELETE") and status_code not in responses
            )
        return bool(super()._should_add_error_response(responses, status_code))

    def _honours_if_match(self) -> bool:
        return self.method in ("PUT", "PATCH", "DELETE") and hasattr(
            self.view, "current_representation"
        )

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._honours_if_match():
            parameters.append(IF_MATCH)
        if self.method in ("GET", "POST", "PUT", "PATCH"):
            parameters.append(ETAG)
        if self.method == "GET":
            parameters.append(IF_NONE_MATCH)
        return parameters

    def _should_add_validation_error_response(self) -> bool:
        # Every read refuses a query parameter it does not know (KnownParametersFilter, and
        # the query serializers of computed views).
        if self.method == "GET" or getattr(self.view, "query_serializer_class", None):
            return True
        return bool(super()._should_add_validation_error_response())


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The record's ETag as you last read it: the write is refused with 412 if "
    "the record has changed since. `*` matches any version; without the header the write "
    "goes ahead unconditionally.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="Fingerprint of this body. Send it as `If-None-Match` on a later read "
    "(304 when unchanged) or as `If-Match` on a write (412 when the record has changed).",
)

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETags of copies you hold: 304 with no body when the answer's ETag is "
    "among them, so an unchanged answer costs no transfer.",
)
NOT_MODIFIED = {"description": "Not modified: the If-None-Match ETag is current; no body."}

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


def index_attrs_as_patterns(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Errors inside list items are documented as `delegates.INDEX.name` but answered as
    `delegates.0.name`: document the attr as the pattern it really follows, so clients and
    validators that read the schema accept the real answers."""
    for schema in result.get("components", {}).get("schemas", {}).values():
        attr = (schema.get("properties") or {}).get("attr") or {}
        enum = attr.get("enum")
        if isinstance(enum, list) and len(enum) == 1 and ".INDEX" in str(enum[0]):
            pattern = re.escape(str(enum[0])).replace("INDEX", "[0-9]+")
            del attr["enum"]
            attr["pattern"] = f"^{pattern}$"
            attr.setdefault("description", f"`{enum[0]}`, INDEX being the item's position from 0.")
    return result


def blank_or_format_as_any_of(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A field that is a formatted string or empty (a URL that may be blank) is generated as
    `oneOf: [{format}, {maxLength: 0}]`. A validator that does not assert formats finds ""
    valid under both branches, and `oneOf` then refuses the very value the API answers:
    `anyOf` says the same and accepts it."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            union = node.get("oneOf")
            if (
                isinstance(union, list)
                and len(union) == 2
                and any(isinstance(b, dict) and b.get("maxLength") == 0 for b in union)
                and any(isinstance(b, dict) and "format" in b for b in union)
            ):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result.get("components", {}))
    return result


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
        if "get" in item and "200" in item["get"].get("responses", {}):
            item["get"]["responses"]["304"] = NOT_MODIFIED
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("description"):
                    continue
                if parameter["name"] == "format":
                    parameter["description"] = FORMAT
                elif parameter["in"] == "path" and parameter["name"] in PATH_KEYS:
                    parameter["description"] = PATH_KEYS[parameter["name"]]
    return result


UNKNOWN_PARAMETER_ERROR = {
    "type": "object",
    "description": "A query parameter the operation does not know; `attr` names it.",
    "properties": {
        "attr": {"type": "string", "description": "The unknown query parameter."},
        "code": {
            "type": "string",
            "enum": [UNKNOWN_PARAMETER],
            "description": f"Always `{UNKNOWN_PARAMETER}`.",
        },
        "detail": {"type": "string", "description": "Human-readable message."},
    },
    "required": ["attr", "code", "detail"],
}


def document_unknown_parameters(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every validation error of a read may also be an unknown query parameter, whose name
    (the `attr`) is whatever the client sent, so it cannot be listed with the fields."""
    schemas = result.get("components", {}).get("schemas", {})
    reference = {"$ref": "#/components/schemas/UnknownParameterError"}
    for name, schema in list(schemas.items()):
        if name.endswith("ValidationError") and "errors" in schema.get("properties", {}):
            items = schema["properties"]["errors"]["items"]
            if "$ref" in items and items["$ref"] != reference["$ref"]:
                union = schemas[items["$ref"].rsplit("/", 1)[-1]]
                if "oneOf" in union and reference not in union["oneOf"]:
                    union["oneOf"].append(reference)
            elif "oneOf" not in items:
                schema["properties"]["errors"]["items"] = reference
    if schemas:
        schemas["UnknownParameterError"] = UNKNOWN_PARAMETER_ERROR
    return result

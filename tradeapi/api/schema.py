"""OpenAPI generation: drf-standardized-errors' schema, taught about query-parameter views,
and shaped for the clients generated from it: names a person would type, anonymous reads,
and only the errors an operation can really answer."""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import warn
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import Direction, OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from rest_framework import permissions, serializers
from rest_framework.filters import OrderingFilter

from tradeapi.api.errors import ConflictAsError
from tradeapi.api.filters import free_text
from tradeapi.api.pagination import ALL_PARAM, offers_csv
from tradeapi.api.permissions import ReadAnyoneWriteEditors
from tradeapi.api.serializers import (
    BLANK,
    MAX_RELATED,
    UNKNOWN_PARAMETER,
    BoundedManyRelatedField,
)

# Codes every query parameter can produce besides its field's own (DRF's CharField refuses
# NUL and surrogate characters; our code fields add `invalid` from their regex validators).
COMMON_QUERY_CODES = {
    "required",
    "invalid",
    "null",
    "null_characters_not_allowed",
    "surrogate_characters_not_allowed",
}


class ReadingSessionScheme(SessionScheme):
    """The session cookie of views that read over POST (no CSRF token needed); a name of
    its own, since the schema gives each authentication class one."""

    target_class = "tradeapi.api.permissions.ReadingSessionAuthentication"
    name = "cookieAuthNoCsrf"


BODY_METHODS = ("POST", "PUT", "PATCH")

# Operation ids and summaries of a viewset's actions, from the resource's names: clients
# type these (`client.listAgreements()`), and Redoc shows the summaries as headings.
ACTION_VERBS = {
    "list": ("list", "List {plural}"),
    "retrieve": ("get", "Get {a} {singular}"),
    "create": ("create", "Create {a} {singular}"),
    "update": ("replace", "Replace {a} {singular}"),
    "partial_update": ("update", "Update some fields of {a} {singular}"),
    "destroy": ("delete", "Delete {a} {singular}"),
}

# Permission classes under which anyone may read without credentials.
ANONYMOUS_READS = (
    ReadAnyoneWriteEditors,
    permissions.AllowAny,
    permissions.IsAuthenticatedOrReadOnly,
)

# What each error status means here; 401 differs between reads (credentials are optional,
# so only bad ones are refused) and writes (credentials are required).
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: each error names the offending field or query parameter in `attr`. "
    "A query parameter sent empty is refused (`blank`), `search` excepted: leave it out instead.",
    "401": "No credentials, or credentials that are not valid: writes need an editor's token "
    "(`Authorization: Token <key>`) or admin session.",
    "403": "Signed in without permission to write this (not an editor), or a session write "
    "without its CSRF token.",
    "404": "Not found: no record with this key, a page past the last, or an unknown `format`.",
    "406": "The Accept header names no media type this operation answers.",
    "409": "The database refused the write after validation passed, most likely because of "
    "a concurrent write: read the data again and retry.",
    "412": "The record changed since you read it: If-Match does not match its current ETag.",
    "413": "The request body is larger than the server accepts.",
    "415": "The request body's Content-Type is not `application/json`.",
    "429": "Too many requests from this client: wait for the seconds in `Retry-After`.",
    "500": "A server error. The answer has no detail; please report it.",
}
READ_401 = (
    "Credentials were sent but are not valid (an unknown token). Reading needs none: send no "
    "Authorization header to read anonymously."
)
CSV_ERRORS = {
    "type": "string",
    "description": "The errors as CSV: a header row `attr,code,detail`, then one row each.",
}
RETRY_AFTER = {
    "schema": {"type": "integer"},
    "description": "Seconds to wait before the next request.",
}


class FilterParameters(DjangoFilterExtension):
    """django-filter's parameters, with the format our filter fields check (their
    `openapi_schema`: an economy code's pattern, say), which the library cannot see."""

    priority = 1  # Chosen over the library's own (priority 0) for django-filter's backend.

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        checked = getattr(filter_field.field_class, "openapi_schema", {})
        for parameter in parameters:
            schema = parameter["schema"]
            (schema["items"] if schema.get("type") == "array" else schema).update(checked)
        return parameters


def refuse_blank(schema: dict[str, Any]) -> None:
    """Make a query parameter's schema refuse what the server refuses as blank (BLANK): an
    empty list, an empty string or one of spaces. Enums, dates and patterns refuse them
    already (tests/api/test_schema.py checks each parameter); free text needs saying so."""
    if schema.get("type") == "array":
        schema.setdefault("minItems", 1)
        refuse_blank(schema["items"])
    elif schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
        schema.setdefault("minLength", 1)
        schema["pattern"] = r"\S"  # Unanchored: at least one character that is not a space.


def decimal_pattern(field: serializers.DecimalField) -> str | None:
    """The decimal strings DRF reads into `field`: digits with at most its whole and decimal
    places, a sign only where negatives are allowed. (drf-spectacular's pattern also matches
    "", "-" and ".", which DRF refuses.)"""
    whole, places = field.max_whole_digits, field.decimal_places
    if whole is None or places is None or whole < 1:
        return None
    sign = "-?" if field.min_value is None or field.min_value < 0 else ""
    fraction = rf"(?:\.\d{{0,{places}}})?" if places else ""
    only_fraction = rf"|\.\d{{1,{places}}}" if places else ""
    return rf"^{sign}(?:\d{{1,{whole}}}{fraction}{only_fraction})$"


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' schema, documenting the 400s it cannot see by itself, read
    from what the view declares, so a new viewset needs no error decorators:

    - query parameters validated by a `query_serializer_class` (the engine, the changes
      feed): each field's own codes plus the ones every query parameter can produce;
    - `format` on every operation (one no renderer offers);
    - a list's `page`, `page_size`, `ordering` and `search`, and `all` where it offers CSV;
    - date parameters declared with `extend_schema` (`as_of`): a malformed date;
    - capped lists in request bodies: related keys (MAX_RELATED) and nested lists with a
      `max_length` (a round's delegates), which the library does not read from list fields;
    - what a view validates by hand and declares as `validation_errors` (field: codes), such
      as a body accepted in several formats.

    It also names the operations (`listAgreements`, "List agreements", tag `agreements`) from
    the resource's route and model, marks reads as open to anonymous clients, and documents
    only the errors an operation can answer: no 405 (a documented method is never refused),
    no 403 on reads (anyone may read), no 415 or malformed-body 400 without a body.
    """

    # --- Names ------------------------------------------------------------------------

    def _resource(self) -> tuple[str, str]:
        """The resource's (plural, singular) route names: ("agreements", "agreement")."""
        plural = self._tokenize_path()[0] if self._tokenize_path() else "root"
        if plural.endswith("ies"):
            return plural, plural[:-3] + "y"
        return plural, plural.removesuffix("s")

    def _action(self) -> str | None:
        """The viewset action (`list`, `partial_update`, `timeline`); None on an APIView."""
        action = getattr(self.view, "action", None)
        return str(action) if action else None

    def get_operation_id(self) -> str:
        plural, singular = self._resource()
        action = self._action()
        if action in ACTION_VERBS:
            verb = ACTION_VERBS[action][0]
            noun = plural if action == "list" else singular
            return verb + _camel(noun)
        if action:  # A custom action: `getAgreementTimeline`.
            verb = "get" if self.method == "GET" else self.method.lower()
            return verb + _camel(singular) + _camel(action)
        return str(super().get_operation_id())

    def get_summary(self) -> str | None:
        action = self._action()
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        if model is None or action is None:
            return None
        singular = str(model._meta.verbose_name)
        plural = str(model._meta.verbose_name_plural)
        article = "an" if singular[:1] in "aeiou" else "a"
        if action in ACTION_VERBS:
            template = ACTION_VERBS[action][1]
            return template.format(plural=plural, singular=singular, a=article)
        verb = "Get" if self.method == "GET" else self.method.capitalize()
        return f"{verb} {article} {singular}'s {action.replace('_', ' ')}"

    # --- Who may call it --------------------------------------------------------------

    def _reads_anonymously(self) -> bool:
        view_permissions = self.view.get_permissions()
        if all(isinstance(permission, permissions.AllowAny) for permission in view_permissions):
            return True  # A read over POST, such as pricing a whole entry.
        return self.method in permissions.SAFE_METHODS and all(
            isinstance(permission, ANONYMOUS_READS) for permission in view_permissions
        )

    def get_auth(self) -> list[dict[str, list[str]]]:
        auths: list[dict[str, list[str]]] = [a for a in super().get_auth() if a]
        if self._reads_anonymously():
            # `{}`: no credentials at all is also accepted (they only add what a signed-in
            # reader sees, such as the actors of the changes feed).
            auths.append({})
        return auths

    # --- Bodies -----------------------------------------------------------------------

    def _map_serializer_field(
        self, field: Any, direction: Direction, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        """Lists in a body carry the bounds their fields enforce: related keys at most
        MAX_RELATED and, where an empty list is refused (every record cites a source), at
        least one; nested lists their `max_length` (a round's delegates). Decimals in
        requests (bodies and query strings) carry the pattern DRF really reads."""
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request":
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("format") == "decimal":
            pattern = decimal_pattern(field)
            if pattern is not None:
                schema["pattern"] = pattern
        if schema.get("type") != "array":
            return schema
        if isinstance(field, BoundedManyRelatedField):
            schema["maxItems"] = MAX_RELATED
        elif getattr(field, "max_length", None) is not None:
            schema["maxItems"] = field.max_length
        if getattr(field, "allow_empty", True) is False:
            schema["minItems"] = 1
        return schema

    # --- Which errors -----------------------------------------------------------------

    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        errors: dict[str, set[str]] = {
            name: set(codes) for name, codes in super()._get_extra_validation_errors().items()
        }

        def add(name: str, *codes: str) -> None:
            errors.setdefault(name, set()).update(codes)

        for name, codes in getattr(self.view, "validation_errors", {}).items():
            add(name, *codes)

        # Any operation: a `format` no renderer of the view offers, or a blank one
        # (tradeapi.api.negotiation), documented as a parameter or not.
        add("format", "invalid", BLANK)
        query_serializer = getattr(self.view, "query_serializer_class", None)
        if query_serializer is not None and self.method == "GET":
            for name, field in query_serializer().fields.items():
                add(name, *COMMON_QUERY_CODES, *field.default_error_messages)
        if getattr(self.view, "action", None) == "list":
            for name in ("page", "page_size"):
                add(name, "invalid")
            if any(
                issubclass(b, OrderingFilter) for b in getattr(self.view, "filter_backends", ())
            ):
                add("ordering", "invalid")
            add("page_size", "max_value")  # tradeapi.api.pagination refuses more than 500.
            if offers_csv(self.view):
                add(ALL_PARAM, "invalid")
            if getattr(self.view, "search_fields", None):
                add("search", "null_characters_not_allowed", "surrogate_characters_not_allowed")
        if self.method == "GET":
            for parameter in self.get_override_parameters():
                if isinstance(parameter, OpenApiParameter) and parameter.type is OpenApiTypes.DATE:
                    add(parameter.name, "invalid")
        for name in self._blank_refused():
            add(name, BLANK)
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

    def _determine_fields_with_error_codes(self) -> Any:
        # A body accepted in several formats is declared per media type, which the library
        # cannot read fields from; such a view declares its errors (`validation_errors`).
        if self.method in ("PUT", "PATCH", "POST") and isinstance(
            self.get_request_serializer(), dict
        ):
            return []
        return super()._determine_fields_with_error_codes()

    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code == "405":  # Every documented method is allowed; others are not listed.
            return False
        if status_code == "403":  # Refused permission: only writes need any.
            return not self._reads_anonymously() and super()._should_add_error_response(
                responses, status_code
            )
        if status_code in ("413", "415"):  # About a request body: only where there is one.
            return self.method in BODY_METHODS and status_code not in responses
        if status_code == "412":
            return self._honours_if_match()
        if status_code == "409":  # A database refusal of a write (ConflictAsError).
            return isinstance(self.view, ConflictAsError) and (
                self.method in (*BODY_METHODS, "DELETE") and status_code not in responses
            )
        return bool(super()._should_add_error_response(responses, status_code))

    def _should_add_parse_error_response(self) -> bool:
        # Only a view reading a body can fail to parse one; reads and deletes never do.
        return self.method in BODY_METHODS and bool(super()._should_add_parse_error_response())

    def _get_error_response_examples(self) -> list[Any]:
        # The library's examples are per status but repeated on every operation (and some
        # are wrong here, such as `Method "get" not allowed`); the shared error components
        # carry one example each instead (finish_for_clients).
        return []

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for status_code, response in responses.items():
            description = ERROR_DESCRIPTIONS.get(status_code)
            if description is None or response.get("description"):
                continue
            content = response.get("content", {})
            for media_type in list(content):
                if media_type == "application/json":
                    continue
                if status_code == "406":  # Refused before any renderer is chosen: JSON.
                    del content[media_type]
                else:  # tradeapi.api.renderers writes errors as CSV rows when CSV was asked.
                    content[media_type] = {"schema": CSV_ERRORS}
            if status_code == "401" and self._reads_anonymously():
                description = READ_401
            response["description"] = description
            if status_code == "429":
                response["headers"] = {"Retry-After": RETRY_AFTER}
        return responses

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
            # Marked by tradeapi.api.caching.CachedReads (not imported: DRF's settings import
            # this module while the views are still loading).
            if getattr(self.view, "cached_reads", False):
                parameters.append(CACHE_CONTROL)
        return parameters

    # --- Query parameters ---------------------------------------------------------------

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        refused = set(self._blank_refused(parameters))
        for parameter in parameters:
            if parameter["name"] in refused:
                # A copy: the schema may be a view's own declaration (inputs.PARTY).
                parameter["schema"] = copy.deepcopy(parameter["schema"])
                refuse_blank(parameter["schema"])
        return parameters

    def _blank_refused(self, parameters: list[dict[str, Any]] | None = None) -> list[str]:
        """The query parameters refused when sent blank: all but the words to search for
        (KnownParametersFilter, validate_query, as_of, the paginator, `format`)."""
        if parameters is None:
            parameters = self._get_parameters()
        allowed = free_text(self.view)
        return [p["name"] for p in parameters if p["in"] == "query" and p["name"] not in allowed]

    def _should_add_validation_error_response(self) -> bool:
        # Every read refuses a query parameter it does not know (KnownParametersFilter, and
        # the query serializers of computed views).
        if self.method == "GET" or getattr(self.view, "query_serializer_class", None):
            return True
        if getattr(self.view, "validation_errors", None):
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
CACHE_CONTROL = OpenApiParameter(
    "Cache-Control",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="How long a copy may be reused. Anonymous reads: `public, max-age=5, "
    "stale-while-revalidate=30` by default (a proxy may serve them that long behind a "
    "write); signed-in reads: `private, no-cache` (revalidate each time, so a client sees "
    "its own write on its next read; a revalidation is a cheap 304).",
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
            # A `$ref` takes no siblings in OpenAPI 3.0: the referenced enum is described.
            if "description" in prop or "$ref" in prop:
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
            ref = _ref(items)
            union = schemas[ref] if ref and ref != "UnknownParameterError" else items
            if "oneOf" in union:
                if reference not in union["oneOf"]:
                    union["oneOf"].append(reference)
                # Its `attr` is any name a client sent, so no mapping by `attr` can hold it;
                # each member's `code` values still tell them apart.
                union.pop("discriminator", None)
            elif items != reference:
                schema["properties"]["errors"]["items"] = {"oneOf": [items, reference]}
    if schemas:
        schemas["UnknownParameterError"] = UNKNOWN_PARAMETER_ERROR
    return result


def _camel(name: str) -> str:
    """`list` + `agreements` -> `listAgreements`; `page_size` -> `PageSize`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def _ref(schema: Any) -> str | None:
    """The component a `{"$ref": ...}` names, else None."""
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return None


def _to(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def share_validation_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Replace drf-standardized-errors' per-operation 400 components by shared ones.

    The library describes each operation's 400 with four layers of components named after
    the operation (`AgreementsCreateErrorResponse400`, `...ValidationError`, `...Error`,
    and one `...TitleErrorComponent` per field), so the same `title` error is written out
    for create, replace and update, and `page` once per list. This keeps what they say
    (which field or parameter can fail with which codes) and shares it:

    - one component per field error, `<Attr>FieldError` (body) or `<Attr>ParameterError`
      (query), shared by every operation documenting that field with the same codes; where
      a field fails differently elsewhere, those places get `<Scope><Attr>FieldError`,
      the scope being the resource (`RateStatusFieldError`) or the operation
      (`ListRatesHsParameterError`);
    - one `<Scope>ValidationError` per body (`AgreementValidationError`, shared by create,
      replace and update) and per operation reading query parameters
      (`ListAgreementsValidationError`);
    - the 400 answer refers to it directly, or is `oneOf` it and `ParseErrorResponse`
      (a body that is not JSON) where there is a body.
    """
    schemas: dict[str, Any] = result.get("components", {}).get("schemas", {})
    obsolete: set[str] = set()
    # (response content, operation id, scope, role, [(attr, schema)], other 400 kinds)
    uses: list[tuple[Any, str, str, str, list[tuple[str, Any]], dict[str, str]]] = []
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            content = operation["responses"].get("400", {}).get("content", {})
            envelope = _ref(content.get("application/json", {}).get("schema"))
            if not envelope or not envelope.endswith("ErrorResponse400"):
                continue
            obsolete.add(envelope)
            # The library's envelope: `oneOf` by `type`, validation errors and parse errors.
            mapping = schemas[envelope]["discriminator"]["mapping"]
            validation = (
                [_ref({"$ref": mapping.pop("validation_error")})]
                if ("validation_error" in mapping)
                else []
            )
            others = {kind: str(_ref({"$ref": ref})) for kind, ref in mapping.items()}
            fields: list[tuple[str, Any]] = []
            for name in validation:
                assert name is not None
                errors = _ref(schemas[name]["properties"]["errors"]["items"])
                obsolete.update((name, str(errors)))
                for member in schemas[str(errors)]["oneOf"]:
                    field = str(_ref(member))
                    obsolete.add(field)
                    fields.append((schemas[field]["properties"]["attr"]["enum"][0], schemas[field]))
            if method == "get":
                scope, role = _camel(operation["operationId"]), "Parameter"
            else:
                body = operation.get("requestBody", {}).get("content", {}).get("application/json")
                request = _ref(body["schema"]) if body else None
                base = re.sub(r"^Patched|Request$", "", request or "")
                scope, role = base or _camel(operation["operationId"]), "Field"
            uses.append((content, operation["operationId"], scope, role, fields, others))

    def key(schema: Any) -> str:
        return repr(sorted(schema["properties"]["code"]["enum"]))

    # A body's scope is shared by the operations writing it only if they fail alike.
    by_scope: dict[str, set[str]] = defaultdict(set)
    for _, _, scope, _, fields, _ in uses:
        by_scope[scope].add(repr(sorted((attr, key(schema)) for attr, schema in fields)))
    uses = [
        (c, op, scope if len(by_scope[scope]) == 1 else _camel(op), role, fields, others)
        for c, op, scope, role, fields, others in uses
    ]
    # (role, attr) -> codes -> the scopes documenting that field with those codes
    variants: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for _, _, scope, role, fields, _ in uses:
        for attr, schema in fields:
            variants[(role, attr)][key(schema)].add(scope)

    new: dict[str, Any] = {}

    def add(name: str, schema: dict[str, Any]) -> str:
        if (name in new and new[name] != schema) or (name in schemas and name not in obsolete):
            warn(f"share_validation_errors: two different schemas would be named {name}")
        new[name] = schema
        return name

    # Where a field fails differently in different places, the way most places share keeps
    # the plain name and the others are named after their scope.
    plain: dict[tuple[str, str], str | None] = {}
    for (role, attr), found in variants.items():
        ranked = sorted(found.items(), key=lambda variant: -len(variant[1]))
        tie = len(ranked) > 1 and len(ranked[0][1]) == len(ranked[1][1])
        plain[(role, attr)] = None if tie else ranked[0][0]

    for content, _, scope, role, fields, others in uses:
        refs: dict[str, str] = {}
        for attr, schema in fields:
            prefix = "" if plain[(role, attr)] == key(schema) else scope
            where = "field" if role == "Field" else "query parameter"
            described = {
                **schema,
                "description": "An error about the record as a whole."
                if attr == "non_field_errors"
                else f"An error about the `{attr}` {where}.",
            }
            refs[attr] = add(f"{prefix}{_camel(attr.lower())}{role}Error", described)
        members = [_to(name) for name in refs.values()]
        items: dict[str, Any] = {"oneOf": members}
        items["discriminator"] = {
            "propertyName": "attr",
            "mapping": {attr: _to(name)["$ref"] for attr, name in refs.items()},
        }
        if any("INDEX" in attr for attr in refs):
            # `delegates.0.name` matches a pattern (index_attrs_as_patterns), not a key of a
            # mapping, and linters cannot tell patterns apart: any of the shapes may match.
            items = {"anyOf": members}
        what = "query parameters" if role == "Parameter" else "fields of the request body"
        wrapper = add(
            f"{scope}ValidationError",
            {
                "type": "object",
                "description": f"Why the {what} were refused: one error per problem.",
                "properties": {
                    "type": {"$ref": "#/components/schemas/ValidationErrorEnum"},
                    "errors": {
                        "type": "array",
                        "items": items,
                        "description": "The errors, one per offending field or parameter.",
                    },
                },
                "required": ["type", "errors"],
            },
        )
        answer: dict[str, Any] = _to(wrapper)
        if others:
            kinds = {"validation_error": wrapper, **others}
            answer = {
                "oneOf": [_to(name) for name in kinds.values()],
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {kind: _to(name)["$ref"] for kind, name in kinds.items()},
                },
            }
        content["application/json"]["schema"] = answer
    for name in obsolete:
        schemas.pop(name, None)
    schemas.update(new)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


# One example answer per status, on its shared component (Swagger UI would otherwise show
# `"attr": "string"` where the API answers null).
ERROR_EXAMPLES = {
    "ErrorResponse401": ("not_authenticated", "Authentication credentials were not provided."),
    "ErrorResponse403": ("permission_denied", "You do not have permission to perform this action."),
    "ErrorResponse404": ("not_found", "No Agreement matches the given query."),
    "ErrorResponse406": ("not_acceptable", "Could not satisfy the request Accept header."),
    "ErrorResponse409": (
        "conflict",
        "The write conflicts with the current data; reload and try again.",
    ),
    "ErrorResponse412": (
        "precondition_failed",
        "The record changed since you read it (If-Match does not match its current ETag). "
        "Read it again and reapply your change.",
    ),
    "ErrorResponse413": (
        "request_too_large",
        "The request body is 3,000,000 bytes; the limit is 2,621,440.",
    ),
    "ErrorResponse415": (
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
    ),
    "ErrorResponse429": ("throttled", "Request was throttled. Expected available in 30 seconds."),
    "ErrorResponse500": ("error", "A server error occurred."),
}
PAGE_EXAMPLE_HOST = "http://127.0.0.1:8000"  # `make run`'s address.

# Shared answers (`components/responses`), by status: each is written once and referred to
# by every operation that can give it.
RESPONSE_NAMES = {
    "304": "NotModified",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "406": "NotAcceptable",
    "409": "Conflict",
    "412": "PreconditionFailed",
    "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType",
    "429": "TooManyRequests",
    "500": "ServerError",
}


def _share_responses(result: dict[str, Any]) -> None:
    shared: dict[str, Any] = {}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for status_code, response in operation["responses"].items():
                name = RESPONSE_NAMES.get(status_code)
                if name is None:
                    continue
                if status_code == "401" and response.get("description") == READ_401:
                    name = "InvalidCredentials"
                if len(response.get("content", {})) > 1:  # The rate endpoints' CSV.
                    name += "JsonOrCsv"
                if shared.setdefault(name, response) != response:
                    warn(f"finish_for_clients: two different {status_code} answers share {name}")
                operation["responses"][status_code] = {"$ref": f"#/components/responses/{name}"}
    result["components"]["responses"] = dict(sorted(shared.items()))


def finish_for_clients(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Last touches for linters and generated clients: example error answers, page links
    of this API in the page envelopes' examples, a `type` beside every `nullable` (OpenAPI
    3.0 ignores `nullable` without one), and no component that nothing refers to."""
    schemas: dict[str, Any] = result.get("components", {}).get("schemas", {})
    for name, (code, detail) in ERROR_EXAMPLES.items():
        if name in schemas:
            kind = "server_error" if name.endswith("500") else "client_error"
            error = {"code": code, "detail": detail, "attr": None}
            schemas[name]["example"] = {"type": kind, "errors": [error]}
    for path, item in result.get("paths", {}).items():
        ok = item.get("get", {}).get("responses", {}).get("200", {})
        page = _ref(ok.get("content", {}).get("application/json", {}).get("schema"))
        if page and page.startswith("Paginated"):
            links = schemas[page]["properties"]
            links["next"]["example"] = f"{PAGE_EXAMPLE_HOST}{path}?page=3"
            links["previous"]["example"] = f"{PAGE_EXAMPLE_HOST}{path}?page=1"
            # Always in the answer, null or not: required, so clients need not test for it.
            schemas[page]["required"] = list(links)
    for schema in schemas.values():
        for prop in (schema.get("properties") or {}).values():
            if prop.get("nullable") and "allOf" in prop and "type" not in prop:
                prop["type"] = "object"
    _share_responses(result)
    while True:
        text = repr(result["paths"]) + repr(result["components"])
        unused = [name for name in schemas if f"#/components/schemas/{name}'" not in text]
        if not unused:
            return result
        for name in unused:
            del schemas[name]

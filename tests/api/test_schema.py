"""The committed schema is complete: every operation, parameter and field is described."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import yaml
from django.test import Client

from tests.api.schema import SCHEMA_FILE


def undescribed(document: dict[str, Any]) -> list[str]:
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not operation.get("description"):
                missing.append(f"operation {method.upper()} {path}")
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    missing.append(f"parameter {parameter['name']} of {method.upper()} {path}")
    for name, schema in document["components"]["schemas"].items():
        if "enum" in schema and not schema.get("description"):
            missing.append(f"enum {name}")
        for prop, spec in (schema.get("properties") or {}).items():
            if not spec.get("description") and "allOf" not in spec and "$ref" not in spec:
                missing.append(f"field {name}.{prop}")
    return missing


def test_every_operation_parameter_and_field_is_described() -> None:
    document = yaml.safe_load(SCHEMA_FILE.read_text())
    assert undescribed(document) == []


def test_the_schema_and_docs_are_served_without_a_cdn(client: Client) -> None:
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = client.get(page).content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn." not in html
        assert "unpkg" not in html


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SCHEMA_FILE.read_text())
    return document


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in _document()["paths"].items()
        for method, operation in item.items()
    ]


def _responses(operation: dict[str, Any]) -> dict[str, Any]:
    """An operation's answers by status, shared ones (`$ref`) resolved."""
    shared = _document()["components"]["responses"]
    return {
        status: shared[answer["$ref"].rsplit("/", 1)[-1]] if "$ref" in answer else answer
        for status, answer in operation["responses"].items()
    }


def test_reads_need_no_credentials_and_writes_do() -> None:
    for method, path, operation in _operations():
        schemes = operation["security"]
        assert {"tokenAuth": []} in schemes, f"{method} {path}"
        # Pricing a whole entry is a read sent as POST: anyone may call it.
        # Your own tokens are read with credentials only.
        own_tokens = path.startswith("/api/v1/tokens/")
        read = (method == "get" and not own_tokens) or operation["operationId"] == "priceEntry"
        assert ({} in schemes) == read, f"{method} {path}"


def test_operations_document_only_the_errors_they_can_answer() -> None:
    for method, path, operation in _operations():
        statuses = set(operation["responses"])
        where = f"{method.upper()} {path}"
        assert "405" not in statuses, where  # A documented method is never refused.
        if method == "get":
            assert not statuses & {"403", "409", "412", "413", "415"}, where
            schema = _responses(operation).get("400", {}).get("content", {})
            assert "ParseErrorResponse" not in repr(schema), where
        elif operation["operationId"] == "priceEntry":  # A read over POST: no permission.
            assert "403" not in statuses, where
            assert {"413", "415"} <= statuses, where
        else:
            assert {"401", "403", "413", "415"} <= statuses or method == "delete", where
    agreements = _document()["paths"]["/api/v1/agreements/{slug}/"]
    assert "412" in agreements["patch"]["responses"]
    # No body to refuse: a DELETE's only 400 is an unknown query parameter.
    delete_400 = repr(agreements["delete"]["responses"].get("400", {}))
    assert "ParseError" not in delete_400


def test_operations_have_ids_summaries_and_described_tags() -> None:
    document = _document()
    tags = {tag["name"]: tag["description"] for tag in document["tags"]}
    ids = [operation["operationId"] for _, _, operation in _operations()]
    assert len(ids) == len(set(ids))
    for method, path, operation in _operations():
        assert operation["operationId"][0].islower(), operation["operationId"]
        assert "_" not in operation["operationId"], operation["operationId"]
        assert operation.get("summary"), f"{method} {path}"
        assert len(operation["tags"]) == 1
        assert tags.get(operation["tags"][0]), f"{method} {path}"
    paths = document["paths"]
    assert paths["/api/v1/agreements/"]["get"]["operationId"] == "listAgreements"
    assert paths["/api/v1/agreements/{slug}/"]["get"]["operationId"] == "getAgreement"
    assert paths["/api/v1/agreements/{slug}/"]["put"]["operationId"] == "replaceAgreement"
    assert paths["/api/v1/agreements/{slug}/"]["patch"]["operationId"] == "updateAgreement"
    timeline = paths["/api/v1/agreements/{slug}/timeline/"]["get"]
    assert timeline["operationId"] == "getAgreementTimeline"
    assert timeline["summary"] == "Get an agreement's timeline"
    assert paths["/api/v1/rounds/"]["get"]["summary"] == "List negotiation rounds"
    assert paths["/api/v1/rates/effective/"]["get"]["operationId"] == "getEffectiveRate"
    assert paths["/api/v1/rates/effective/"]["get"]["tags"] == ["rate-engine"]
    assert paths["/api/v1/changes/"]["get"]["operationId"] == "listChanges"


def test_errors_share_their_components() -> None:
    document = _document()
    names = set(document["components"]["schemas"])
    # No component is named after one operation's generated id, nor numbered apart.
    assert not [n for n in names if n.endswith("ErrorComponent") or "ErrorResponse400" in n]
    text = {
        f"{method} {path}": repr(_responses(operation)) for method, path, operation in _operations()
    }
    sources = document["components"]["schemas"]["SourceValidationError"]
    assert "TitleFieldError" in repr(sources)
    writes = [k for k in text if k.startswith(("post", "put", "patch")) and "sources" in k]
    assert len(writes) == 3
    assert all("SourceValidationError" in text[k] for k in writes)
    lists = document["components"]["schemas"]["ListSourcesValidationError"]
    assert "PageParameterError" in repr(lists)
    assert "ListSourcesPageParameterError" not in names
    # The same 404 is written once and referred to.
    assert document["components"]["responses"]["NotFound"]["content"]


def test_page_size_is_bounded_and_page_links_point_at_this_api() -> None:
    document = _document()
    for _, path, operation in _operations():
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "page_size":
                assert parameter["schema"]["minimum"] == 1, path
                assert parameter["schema"]["maximum"] == 500, path
    page = document["components"]["schemas"]["PaginatedAgreementList"]["properties"]
    assert page["next"]["example"].endswith("/api/v1/agreements/?page=3")


def test_a_read_with_bad_credentials_is_the_documented_401(anonymous: Client) -> None:
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-token")  # type: ignore[attr-defined]
    response = anonymous.get("/api/v1/sources/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_lists_in_bodies_carry_the_bounds_their_fields_enforce() -> None:
    schemas = _document()["components"]["schemas"]
    sources = schemas["AgreementRequest"]["properties"]["sources"]
    assert (sources["minItems"], sources["maxItems"]) == (1, 1000)
    assert "minItems" not in schemas["AgreementRequest"]["properties"]["parties"]
    assert schemas["NegotiationRoundRequest"]["properties"]["delegates"]["maxItems"] == 200
    assert "maxItems" not in schemas["Agreement"]["properties"]["sources"]  # Answers: no cap.


# RFC 3339 date-times (`since`): jsonschema checks this format only with a package the
# project does not need otherwise.
FORMATS = jsonschema.FormatChecker()
FORMATS.checks("date-time")(
    lambda value: (
        not isinstance(value, str)
        or re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value
        )
        is not None
    )
)


def test_query_parameters_refuse_blank_values_in_the_schema_as_the_server_does() -> None:
    # The server refuses a blank value of any query parameter but `search` (test_filters);
    # the schema says so too, or generated clients and fuzzers send blanks as valid.
    document = _document()
    accepting, searches = set(), set()
    for method, path, operation in _operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            if parameter["name"] == "search":
                searches.add((method, path))
            schema = {**parameter["schema"], "components": document["components"]}
            blanks: list[Any] = ["", "  "]
            if schema.get("type") == "array":
                blanks = [[], [""], ["  "]]
            validator = jsonschema.Draft7Validator(schema, format_checker=FORMATS)
            if any(validator.is_valid(blank) for blank in blanks):
                accepting.add((parameter["name"], method, path))
    assert searches
    assert accepting == {("search", method, path) for method, path in searches}

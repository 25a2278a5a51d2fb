"""Validate responses against the committed OpenAPI document (docs/openapi.yaml)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` is not JSON Schema; turn it into a null alternative."""
    if isinstance(node, dict):
        converted = {k: _to_json_schema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable"):
            return {"anyOf": [converted, {"type": "null"}]}
        return converted
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    return node


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = _to_json_schema(yaml.safe_load(SCHEMA_FILE.read_text()))
    return document


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    operations = []
    for template, item in _document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method, operation in item.items():
            operations.append((pattern, method.upper(), operation))
    # Literal paths first, as the router resolves them: rates/effective/ is not rates/{id}/.
    return sorted(operations, key=lambda op: op[0].pattern.count("[^/]+"))


def assert_matches_schema(
    method: str, path: str, status: int, body: Any, content_type: str = "application/json"
) -> None:
    """Fail unless `body` is what the committed schema documents for this operation."""
    for pattern, operation_method, operation in _operations():
        if operation_method == method and pattern.match(path):
            responses = operation["responses"]
            response = responses.get(str(status))
            assert response is not None, f"{method} {path}: {status} is not documented"
            if "$ref" in response:  # A shared answer (components/responses).
                response = _document()["components"]["responses"][response["$ref"].split("/")[-1]]
            if content_type != "application/json":
                assert content_type in response.get("content", {}), (
                    f"{method} {path}: {content_type} is not documented"
                )
                return
            content = response.get("content", {}).get("application/json")
            if content is None:
                assert body in (None, b"", ""), f"{method} {path}: undocumented body"
                return
            schema = {**content["schema"], "components": _document()["components"]}
            jsonschema.validate(body, schema)
            return
    # An unknown path or a method a resource does not offer is refused before any view runs.
    if status in (401, 403, 404, 405):
        return
    raise AssertionError(f"{method} {path} is not in the committed schema")

"""The committed schema is complete: every operation, parameter and field is described."""

from __future__ import annotations

from typing import Any

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

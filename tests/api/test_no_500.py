"""No input is a 500: junk in every documented query parameter and every writable field
answers 200 or a 4xx, and each answer matches the committed schema (the checked client)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml

from agreements.models import Measure, Source
from tests.api.schema import SCHEMA_FILE

pytestmark = pytest.mark.django_db

JUNK_QUERY = ["", "x", "\x00", "9" * 30, "-1", "2025-02-30", "zz", "95.0x", ",", "-"]
JUNK_BODY: list[Any] = [
    None,
    -1,
    10**30,
    1.5,
    "x",
    "",
    "\x00",
    [],
    {},
    True,
    "9" * 400,
    [None],
    [{}],
]


@cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SCHEMA_FILE.read_text())
    return loaded


def list_parameters() -> list[tuple[str, str]]:
    return [
        (path, parameter["name"])
        for path, item in document()["paths"].items()
        if "{" not in path and "get" in item
        for parameter in item["get"].get("parameters", [])
    ]


@pytest.mark.parametrize(("path", "name"), list_parameters())
def test_junk_query_parameters_are_never_a_500(anonymous: Any, path: str, name: str) -> None:
    for value in JUNK_QUERY:
        response = anonymous.get(path, {name: value})
        assert response.status_code < 500, (name, value)
        if response.status_code == 400:
            attrs = [error["attr"] for error in response.json()["errors"]]
            assert attrs, (name, value)


def valid_bodies() -> dict[str, dict[str, Any]]:
    source = Source.objects.order_by("pk").first().pk  # type: ignore[union-attr]
    return {
        "sources": {"title": "t", "url": "https://example.org/j", "publisher": "p"},
        "agreements": {
            "slug": "junk",
            "title": "t",
            "kind": "deal",
            "parties": ["US"],
            "summary": "s",
            "sources": [source],
        },
        "rounds": {
            "title": "t",
            "city": "c",
            "venue_country": "CH",
            "start_date": "2030-01-01",
            "end_date": "2030-01-02",
            "parties": ["US"],
            "sources": [source],
            "delegates": [{"name": "A", "economy": "US"}],
        },
        "commitments": {
            "slug": "junk",
            "pledger": "JP",
            "beneficiary": "US",
            "kind": "purchase",
            "description": "d",
            "sources": [source],
        },
        "measures": {
            "slug": "junk",
            "title": "t",
            "importer": "US",
            "legal_basis": "other",
            "instrument": "i",
            "program": "p",
            "kind": "additional",
            "sources": [source],
        },
        "rates": {
            "measure": Measure.objects.get(slug="us-section-122-surcharge").pk,
            "rate": "1.00",
            "valid_from": "2030-01-01",
            "status": "announced",
        },
    }


REQUESTS = {
    "sources": "SourceRequest",
    "agreements": "AgreementRequest",
    "rounds": "NegotiationRoundRequest",
    "commitments": "CommitmentRequest",
    "measures": "MeasureRequest",
    "rates": "RateRequest",
}


@pytest.mark.parametrize("resource", list(REQUESTS))
def test_junk_in_every_writable_field_is_never_a_500(editor: Any, resource: str) -> None:
    body = valid_bodies()[resource]
    fields = set(document()["components"]["schemas"][REQUESTS[resource]]["properties"])
    assert set(body) <= fields
    created = editor.post(f"/api/v1/{resource}/", body, format="json")
    assert created.status_code == 201, created.json()
    url = f"/api/v1/{resource}/{created.json().get('id', created.json().get('slug'))}/"
    # A second record must not collide with the first on its unique fields.
    other = {**body, "slug": "junk-2"} if "slug" in body else {**body, "title": "t2"}
    if resource == "rates":
        other["valid_from"] = "2031-01-01"
    for field in sorted(fields):
        for value in JUNK_BODY:
            for method, target, payload in (
                ("post", f"/api/v1/{resource}/", {**other, field: value}),
                ("patch", url, {field: value}),
            ):
                response = getattr(editor, method)(target, payload, format="json")
                assert response.status_code < 500, (method, field, value)
                if response.status_code == 201:
                    new = response.json()
                    editor.delete(f"/api/v1/{resource}/{new.get('id', new.get('slug'))}/")

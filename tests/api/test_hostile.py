"""Hostile input: each is a 4xx in the standard error shape, and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from agreements.audit import history_models
from agreements.models import Agreement, Measure, NegotiationRound, Rate, Source

pytestmark = pytest.mark.django_db

TABLES = (Source, Agreement, NegotiationRound, Measure, Rate)


def source(**overrides: Any) -> dict[str, Any]:
    return {
        "url": "https://example.org/hostile",
        "title": "A title",
        "publisher": "A publisher",
        **overrides,
    }


def rate(**overrides: Any) -> dict[str, Any]:
    measure = Measure.objects.get(slug="us-section-122-surcharge")
    return {"measure": measure.pk, "rate": "5.00", "valid_from": "2027-01-01", **overrides}


def copy_of(path: str, **overrides: Any) -> dict[str, Any]:
    """A valid body: a seeded record as the API shows it, under a new key, with overrides."""
    from rest_framework.test import APIClient

    body: dict[str, Any] = APIClient().get(path).json()
    if "slug" in body:
        body["slug"] = "hostile-copy"
    return {**body, **overrides}


def measure(**overrides: Any) -> dict[str, Any]:
    pk = Measure.objects.get(slug="us-section-122-surcharge").pk
    return copy_of(f"/api/v1/measures/{pk}/", **overrides)


def agreement(**overrides: Any) -> dict[str, Any]:
    return copy_of("/api/v1/agreements/us-cn-geneva-truce/", **overrides)


def round_(**overrides: Any) -> dict[str, Any]:
    pk = NegotiationRound.objects.get(city="Geneva").pk
    return copy_of(f"/api/v1/rounds/{pk}/", **overrides)


@pytest.fixture
def nothing_written() -> Iterator[None]:
    def counts() -> list[int]:
        models = [*TABLES, *history_models()]
        return [model._default_manager.count() for model in models]

    before = counts()
    yield
    assert counts() == before


def assert_standard_4xx(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    body: dict[str, Any] = response.json()
    assert body["type"] in {"validation_error", "client_error"}
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
    return body


BODIES = {
    "malformed JSON": (
        "/api/v1/sources/",
        '{"url": "https://x.org", "title": ',
        "application/json",
    ),
    "JSON that is not an object": ("/api/v1/sources/", "[1, 2, 3]", "application/json"),
    "a bare string": ("/api/v1/sources/", '"hello"', "application/json"),
    "trailing garbage": ("/api/v1/sources/", '{"title": "x"} {"title": "y"}', "application/json"),
    "a form body": (
        "/api/v1/sources/",
        "url=https://x.org&title=x",
        "application/x-www-form-urlencoded",
    ),
    "XML": ("/api/v1/sources/", "<source><title>x</title></source>", "application/xml"),
    "plain text": ("/api/v1/sources/", "title: x", "text/plain"),
    "multipart": ("/api/v1/sources/", "--b\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b"),
    "invalid UTF-8": ("/api/v1/sources/", b'{"title": "\xff\xfe"}', "application/json"),
    "a lone surrogate": (
        "/api/v1/sources/",
        '{"url": "https://x.org", "title": "\\ud800", "publisher": "p"}',
        "application/json",
    ),
    "deeply nested JSON": ("/api/v1/sources/", "[" * 100_000 + "]" * 100_000, "application/json"),
    "a NaN number": ("/api/v1/rates/", '{"rate": NaN}', "application/json"),
}


@pytest.mark.parametrize("case", BODIES, ids=list(BODIES))
def test_malformed_bodies(editor: Any, nothing_written: None, case: str) -> None:
    url, body, content_type = BODIES[case]
    assert_standard_4xx(editor.generic("POST", url, body, content_type=content_type))


FIELDS = {
    "NUL in a title": ("/api/v1/sources/", lambda: source(title="before\x00after"), "title"),
    "a right-to-left override": (
        "/api/v1/sources/",
        lambda: source(title="txt.\u202egnp"),
        "title",
    ),
    "a bidi isolate": ("/api/v1/sources/", lambda: source(title="a\u2067b\u2069"), "title"),
    "combining marks in a slug": ("/api/v1/measures/", lambda: measure(slug="cafe\u0301"), "slug"),
    "right-to-left letters in a code": (
        "/api/v1/measures/",
        lambda: measure(importer="\u05d0\u05d1"),
        "importer",
    ),
    "SQL in a code": (
        "/api/v1/measures/",
        lambda: measure(importer="'; DROP TABLE x; --"),
        "importer",
    ),
    "SQL in a slug": ("/api/v1/measures/", lambda: measure(slug="x' OR '1'='1"), "slug"),
    "a template in a URL": (
        "/api/v1/sources/",
        lambda: source(url="{{ settings.SECRET_KEY }}"),
        "url",
    ),
    "a script URL": ("/api/v1/sources/", lambda: source(url="javascript:alert(1)"), "url"),
    "a huge number": ("/api/v1/rates/", lambda: rate(rate="1" + "0" * 400), "rate"),
    "a huge integer id": ("/api/v1/rates/", lambda: rate(measure=10**30), "measure"),
    "an infinite rate": ("/api/v1/rates/", lambda: rate(rate="Infinity"), "rate"),
    "a negative rate": ("/api/v1/rates/", lambda: rate(rate="-5.00"), "rate"),
    "an impossible date": ("/api/v1/rates/", lambda: rate(valid_from="2025-02-30"), "valid_from"),
    "a year zero date": ("/api/v1/rates/", lambda: rate(valid_from="0000-01-01"), "valid_from"),
    "a five-digit year": ("/api/v1/rates/", lambda: rate(valid_from="12025-01-01"), "valid_from"),
    "a date as a number": ("/api/v1/rates/", lambda: rate(valid_from=20250101), "valid_from"),
    "an overlong title": ("/api/v1/sources/", lambda: source(title="x" * 100_000), "title"),
    "10,000 products": (
        "/api/v1/measures/",
        lambda: measure(products=["950300"] * 10_000),
        "products",
    ),
    "10,000 sources": (
        "/api/v1/measures/",
        lambda: measure(sources=list(range(1, 10_001))),
        "sources",
    ),
    "10,000 parties": (
        "/api/v1/agreements/",
        lambda: agreement(parties=["US"] * 10_000),
        "parties",
    ),
    "10,000 delegates": (
        "/api/v1/rounds/",
        lambda: round_(delegates=[{"name": f"n{i}", "economy": "US"} for i in range(10_000)]),
        "delegates",
    ),
    "a direction control in a delegate": (
        "/api/v1/rounds/",
        lambda: round_(delegates=[{"name": "Scott\u202e Bessent", "economy": "US"}]),
        "delegates",
    ),
    "an object where a list goes": (
        "/api/v1/measures/",
        lambda: measure(products={"a": 1}),
        "products",
    ),
    "a list where a string goes": ("/api/v1/sources/", lambda: source(title=["x"]), "title"),
}


@pytest.mark.parametrize("case", FIELDS, ids=list(FIELDS))
def test_hostile_fields_are_400s_naming_the_field(
    editor: Any, nothing_written: None, case: str
) -> None:
    url, payload, attr = FIELDS[case]
    body = assert_standard_4xx(editor.post(url, payload(), format="json"))
    assert response_attrs(body) & {attr}, body


def response_attrs(body: dict[str, Any]) -> set[str]:
    return {str(error["attr"]).split(".")[0] for error in body["errors"]}


QUERIES = [
    "/api/v1/agreements/?search=%00",
    "/api/v1/agreements/?as_of=99999-01-01",
    "/api/v1/rates/?measure=99999999999999999999999999",
    "/api/v1/rates/effective/?importer=US&origin=CN&hs=950300&date=2025-02-30",
    "/api/v1/rates/effective/?importer=%E2%80%AEUS&origin=CN&hs=950300&date=2025-05-01",
    "/api/v1/rates/effective/?importer=US&origin=CN&hs=9503%00&date=2025-05-01",
    "/api/v1/rates/timeline/?importer=US&origin=CN&hs=950300&from=0001-01-01&to=9999-12-31&scenario={{x}}",
    "/api/v1/products/?page=99999999999999999999",
    "/api/v1/changes/?since=%00",
]


@pytest.mark.parametrize("url", QUERIES)
def test_hostile_queries_are_4xx_in_the_standard_shape(anonymous: Any, url: str) -> None:
    assert_standard_4xx(anonymous.get(url))


def test_sql_looking_search_is_searched_for_as_text(anonymous: Any) -> None:
    response = anonymous.get("/api/v1/agreements/?search=%27%3B%20DROP%20TABLE%20x%3B--")
    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert Agreement.objects.count() == 13


def test_sql_looking_text_is_stored_as_text(editor: Any) -> None:
    """Not refused: a title may legitimately contain quotes; it is data, never SQL."""
    title = "Robert'); DROP TABLE agreements_source;-- {{ 7*7 }} {% debug %}"
    created = editor.post("/api/v1/sources/", source(title=title), format="json")
    assert created.status_code == 201
    assert editor.get(f"/api/v1/sources/{created.json()['id']}/").json()["title"] == title
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM agreements_source")
        assert cursor.fetchone()[0] == Source.objects.count()


def test_right_to_left_text_itself_is_accepted(editor: Any) -> None:
    """Arabic and Hebrew titles are data; only the invisible direction controls are refused."""
    title = "اتفاقية التجارة — הסכם סחר — e\u0301"
    created = editor.post("/api/v1/sources/", source(title=title), format="json")
    assert created.status_code == 201
    assert created.json()["title"] == title

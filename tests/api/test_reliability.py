"""Conditional requests, throttling, limits and security headers, through the full stack."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from agreements.models import Rate, Source
from tests.api.test_writes import rate_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]

READS = [
    "/api/v1/economies/",
    "/api/v1/economies/XA/",
    "/api/v1/products/?search=9503",
    "/api/v1/products/950300/",
    "/api/v1/sources/",
    "/api/v1/rounds/",
    "/api/v1/commitments/",
    "/api/v1/measures/",
    "/api/v1/rates/",
    "/api/v1/agreements/",
    "/api/v1/agreements/xa-xb-truce/",
    "/api/v1/agreements/xa-xb-truce/timeline/",
    "/api/v1/rates/?format=csv",
    "/api/v1/rates/effective/?importer=XA&origin=XB&hs=950300&date=2025-05-20",
    "/api/v1/rates/timeline/?importer=XA&origin=XB&hs=950300&from=2025-01-01&to=2025-12-31",
    "/api/v1/changes/?page_size=3",
]


@pytest.mark.parametrize("url", READS)
def test_every_read_has_an_etag_and_answers_304_when_unchanged(anonymous: Any, url: str) -> None:
    first = anonymous.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"')
    assert len(etag) == 34
    again = anonymous.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    other = anonymous.get(url, HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200
    assert other.content == first.content


def test_the_etag_changes_when_the_record_does(editor: Any) -> None:
    source = Source.objects.order_by("pk").first()
    assert source is not None
    url = f"/api/v1/sources/{source.pk}/"
    before = editor.get(url)["ETag"]
    editor.patch(url, {"title": "A new title"}, format="json")
    assert editor.get(url)["ETag"] != before
    # The old tag no longer validates a cached copy: the client gets the new body.
    assert editor.get(url, HTTP_IF_NONE_MATCH=before).status_code == 200


def test_a_write_with_the_current_etag_goes_through_and_returns_the_new_one(editor: Any) -> None:
    source = Source.objects.order_by("pk").first()
    assert source is not None
    url = f"/api/v1/sources/{source.pk}/"
    etag = editor.get(url)["ETag"]
    response = editor.patch(url, {"title": "First edit"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] == editor.get(url)["ETag"] != etag
    # Chained: the tag of the write's answer validates the next write.
    chained = editor.patch(
        url, {"title": "Second edit"}, format="json", HTTP_IF_MATCH=response["ETag"]
    )
    assert chained.status_code == 200


def test_if_match_compares_the_representation_the_client_read(editor: Any) -> None:
    # A client reading pretty-printed JSON gets another body, so another tag; writing back
    # with that tag and the same Accept header must not be a false 412.
    source = Source.objects.create(
        title="Indented", url="https://example.org/indented", publisher="Example"
    )
    url = f"/api/v1/sources/{source.pk}/"
    accept = "application/json; indent=4"
    read = editor.get(url, HTTP_ACCEPT=accept)
    assert read.content.startswith(b"{\n    ")
    assert read["ETag"] != editor.get(url)["ETag"]
    response = editor.patch(
        url, {"title": "Edited"}, format="json", HTTP_ACCEPT=accept, HTTP_IF_MATCH=read["ETag"]
    )
    assert response.status_code == 200, response.content
    assert Source.objects.get(pk=source.pk).title == "Edited"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_stale_if_match_is_a_412_and_changes_nothing(editor: Any, method: str) -> None:
    created = editor.post("/api/v1/rates/", rate_payload(), format="json")
    url = f"/api/v1/rates/{created.json()['id']}/"
    stale = created["ETag"]
    editor.patch(url, {"rate": "6.00"}, format="json")  # Someone else's change.
    payload = {**rate_payload(), "rate": "9.00"}
    response = getattr(editor, method)(url, payload, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "precondition_failed",
                "detail": response.json()["errors"][0]["detail"],
                "attr": None,
            }
        ],
    }
    assert Rate.objects.get(pk=created.json()["id"]).rate == 6


def test_if_match_star_matches_any_version(editor: Any) -> None:
    created = editor.post("/api/v1/rates/", rate_payload(), format="json").json()
    url = f"/api/v1/rates/{created['id']}/"
    assert editor.patch(url, {"rate": "6.00"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert editor.delete(url, HTTP_IF_MATCH="*").status_code == 204


def test_anonymous_clients_are_throttled_with_retry_after(settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None},
    }
    cache.clear()
    client = APIClient()
    statuses = [client.get("/api/v1/economies/?page_size=1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/economies/?page_size=1")
    assert 1 <= int(limited["Retry-After"]) <= 60
    body = limited.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "throttled"
    cache.clear()


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": None},
    }
    cache.clear()
    client = APIClient()
    statuses = [
        client.get("/api/v1/economies/XA/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    cache.clear()


def test_signed_in_clients_have_their_own_limit(settings: Any, editor: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "2/minute"},
    }
    cache.clear()
    statuses = [editor.get("/api/v1/economies/?page_size=1").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    cache.clear()


def test_a_12_mb_body_is_refused_and_nothing_is_written(editor: Any) -> None:
    before = Source.objects.count()
    body = '{"url": "https://example.org/x", "title": "' + "x" * (12 * 1024 * 1024) + '"}'
    response = editor.post("/api/v1/sources/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert Source.objects.count() == before


def test_data_answers_carry_security_headers(anonymous: Any) -> None:
    response = anonymous.get("/api/v1/economies/XA/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_cors_allows_configured_origins_only(settings: Any, anonymous: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    allowed = anonymous.get("/api/v1/economies/XA/", HTTP_ORIGIN="https://app.example.org")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "etag" in allowed["Access-Control-Expose-Headers"].lower()
    other = anonymous.get("/api/v1/economies/XA/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    preflight = APIClient().options(  # A browser's preflight: outside the API's contract.
        "/api/v1/sources/1/",
        HTTP_ORIGIN="https://app.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-match, authorization, content-type",
    )
    assert preflight.status_code == 200
    assert "if-match" in preflight["Access-Control-Allow-Headers"]


def test_an_empty_csv_page_still_has_its_header_row(anonymous: Any) -> None:
    response = anonymous.get("/api/v1/rates/?format=csv&active_on=1900-01-01")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header = response.content.decode().splitlines()
    assert header[0].split(",")[:3] == ["id", "measure", "rate"]
    assert len(header) == 1

"""The site's pages and the answers around the API: the front page, the admin's links, a
Content-Security-Policy on every HTML page, and the standard JSON error where a client
slips (a missing slash, an unsafe method on no route, an unknown format, an impossible
date)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework import serializers

from agreements.api.engine import (
    EffectiveQuerySerializer,
    EntryLineSerializer,
    EntryQuerySerializer,
    EntrySerializer,
    TimelineQuerySerializer,
)
from agreements.api.urls import router
from agreements.models import Measure
from tests.api.conftest import CheckedClient
from tests.factories import GLOBAL_MEASURE, TRUCE
from tradeapi.api.dates import DateField
from tradeapi.tokens.models import ApiToken

pytestmark = pytest.mark.django_db


def assert_standard_error(response: Any, status: int, attr: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] in ("client_error", "validation_error")
    (error,) = body["errors"]
    assert error["attr"] == attr
    return dict(error)


def policy(response: Any) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_the_front_page_says_what_this_is_and_links_everything() -> None:
    response = Client().get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>TradeAPI</h1>" in page
    for link in ("/api/v1/", "/api/v1/docs/", "/api/v1/redoc/", "/admin/"):
        assert f'href="{link}"' in page


def test_the_admin_names_the_site_and_view_site_goes_to_the_front_page(
    admin_client: Client,
) -> None:
    page = admin_client.get("/admin/").content.decode()
    assert '<a href="/">View site</a>' in page
    assert "TradeAPI data entry" in page
    assert "<title>Agreements, measures and rates | TradeAPI admin</title>" in page


def test_a_missing_trailing_slash_is_a_json_404_that_says_so() -> None:
    error = assert_standard_error(Client().get("/api/v1/agreements"), 404)
    assert "/api/v1/agreements/" in error["detail"]
    assert "trailing slash" in error["detail"]
    plain = assert_standard_error(Client().get("/api/v1/nothing-here"), 404)
    assert plain["detail"] == "Not found."


@pytest.mark.parametrize("path", ["/api/v1/rates", "/api/v1/nothing-here", "/api/v2/rates/"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_unsafe_method_on_no_route_is_a_json_404_not_a_csrf_page(
    db: Any, path: str, method: str
) -> None:
    user = User.objects.create_user("someone", password="x" * 12)
    _, key = ApiToken.objects.issue(user=user, name="pages")
    # As a real client: CSRF is checked (the test client skips it by default).
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")
    response = getattr(client, method)(path, {"rate": "1"}, content_type="application/json")
    assert_standard_error(response, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/rates/?format=xml",
        "/api/v1/agreements/?format=xml",
        "/api/v1/rates/effective/?importer=US&origin=CN&hs=9503&format=yaml",
    ],
)
def test_an_unknown_format_is_a_400_naming_it(anonymous: CheckedClient, path: str) -> None:
    error = assert_standard_error(anonymous.get(path), 400, "format")
    assert "`xml`" in error["detail"] or "`yaml`" in error["detail"]


@pytest.mark.parametrize(
    ("path", "attr"),
    [
        ("/api/v1/rates/effective/?importer=US&origin=CN&hs=9503&date=2025-02-30", "date"),
        (
            "/api/v1/rates/timeline/?importer=US&origin=CN&hs=9503&from=2025-02-30&to=2026-01-01",
            "from",
        ),
        ("/api/v1/agreements/?as_of=2025-02-30", "as_of"),
        ("/api/v1/agreements/?active_on=2025-02-30", "active_on"),
        ("/api/v1/rates/?active_on=2025-02-30", "active_on"),
        ("/api/v1/rounds/?from=2025-02-30", "from"),
    ],
)
def test_an_impossible_date_says_so_rather_than_wrong_format(
    anonymous: CheckedClient, path: str, attr: str
) -> None:
    error = assert_standard_error(anonymous.get(path), 400, attr)
    assert error["detail"] == "2025-02-30 is not a date: February 2025 has 28 days."


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("2024-02-29", None),
        ("2025-13-01", "2025-13-01 is not a date: there is no month 13."),
        ("2025-04-31", "2025-04-31 is not a date: April 2025 has 30 days."),
        ("0000-01-01", "0000-01-01 is not a date: there is no year 0."),
        ("2025/02/30", "Enter a date as YYYY-MM-DD."),
        # Shapes Python's ISO parser takes, but not the YYYY-MM-DD of API.md and the schema.
        ("20250101", "Enter a date as YYYY-MM-DD."),
        ("2025-1-5", "Enter a date as YYYY-MM-DD."),
    ],
)
def test_each_kind_of_bad_date_has_its_own_message(
    anonymous: CheckedClient, value: str, detail: str | None
) -> None:
    response = anonymous.get("/api/v1/agreements/", {"as_of": value})
    if detail is None:
        assert response.status_code == 200
    else:
        assert assert_standard_error(response, 400, "as_of")["detail"] == detail


ENTRY_LINE = {"ref": "1", "importer": "XA", "origin": "XB", "hs": "9503"}


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize(
    ("method", "path", "body", "attr", "detail"),
    [
        (
            "post",
            "/api/v1/rates/",
            {"rate": "5.00", "valid_from": "2025-02-30"},
            "valid_from",
            "2025-02-30 is not a date: February 2025 has 28 days.",
        ),
        (
            "patch",
            f"/api/v1/agreements/{TRUCE}/",
            {"signed_on": "2025-04-31"},
            "signed_on",
            "2025-04-31 is not a date: April 2025 has 30 days.",
        ),
        (
            "patch",
            f"/api/v1/agreements/{TRUCE}/",
            {"original_expires_on": "2025-13-01"},
            "original_expires_on",
            "2025-13-01 is not a date: there is no month 13.",
        ),
        (
            "post",
            "/api/v1/rates/",
            {"rate": "5.00", "valid_from": "2025/02/28"},
            "valid_from",
            "Enter a date as YYYY-MM-DD.",
        ),
        (
            "post",
            "/api/v1/rates/",
            {"rate": "5.00", "valid_from": "20250228"},
            "valid_from",
            "Enter a date as YYYY-MM-DD.",
        ),
        (
            "post",
            "/api/v1/rates/effective/batch/",
            {"date": "2025-02-30", "lines": [ENTRY_LINE]},
            "date",
            "2025-02-30 is not a date: February 2025 has 28 days.",
        ),
        (
            "post",
            "/api/v1/rates/effective/batch/",
            {"date": "0000-06-01", "lines": [ENTRY_LINE]},
            "date",
            "0000-06-01 is not a date: there is no year 0.",
        ),
    ],
)
def test_a_date_in_a_body_is_read_as_in_a_query_string(
    editor: CheckedClient, method: str, path: str, body: dict[str, Any], attr: str, detail: str
) -> None:
    if path == "/api/v1/rates/":
        body = {**body, "measure": Measure.objects.get(slug=GLOBAL_MEASURE).pk}
    response = getattr(editor, method)(path, body, format="json")
    assert assert_standard_error(response, 400, attr)["detail"] == detail


@pytest.mark.usefixtures("world")
def test_a_csv_entrys_date_in_the_query_string_says_it_is_impossible(
    anonymous: CheckedClient,
) -> None:
    csv_entry = "ref,importer,origin,hs\r\n1,XA,XB,9503\r\n"
    response = anonymous.post(
        "/api/v1/rates/effective/batch/?date=2025-02-29", csv_entry, content_type="text/csv"
    )
    error = assert_standard_error(response, 400, "date")
    assert error["detail"] == "2025-02-29 is not a date: February 2025 has 28 days."


def input_serializers() -> list[Any]:
    """Every serializer a client's input goes through: the writable resources' bodies, and
    the bodies and query strings of the views that declare theirs."""
    found: list[Any] = [
        cast(Any, viewset).serializer_class()
        for _, viewset, _ in router.registry
        if hasattr(viewset, "create")
    ]
    found += [EntrySerializer(), EntryLineSerializer(), EntryQuerySerializer()]
    found += [EffectiveQuerySerializer(), TimelineQuerySerializer()]
    return found


def test_every_date_a_client_writes_is_read_by_the_shared_date_field() -> None:
    readers = {
        f"{type(serializer).__name__}.{name}": isinstance(field, DateField)
        for serializer in input_serializers()
        for name, field in serializer.fields.items()
        if isinstance(field, serializers.DateField) and not field.read_only
    }
    assert "RateSerializer.valid_from" in readers
    assert "EntrySerializer.date" in readers
    assert {where for where, shared in readers.items() if not shared} == set()


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_every_html_page_has_a_content_security_policy_of_its_own_origin(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    directives = policy(response)
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    # No page runs inline or remote script: script-src falls back to default-src 'self'.
    assert "script-src" not in directives
    for sources in directives.values():
        assert "http" not in sources
        assert "'unsafe-eval'" not in sources


def test_only_pages_that_need_inline_styles_allow_them() -> None:
    strict = [Client().get(path) for path in ("/", "/api/v1/docs/")]
    assert all("style-src" not in policy(response) for response in strict)
    redoc = policy(Client().get("/api/v1/redoc/"))
    assert redoc["style-src"] == "'self' 'unsafe-inline'"
    assert redoc["worker-src"] == "'self' blob:"


def test_swagger_ui_loads_its_start_script_from_the_app() -> None:
    page = Client().get("/api/v1/docs/").content.decode()
    assert "<script>" not in page
    assert "<style>" not in page
    script = Client().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_loads_no_web_fonts_and_no_inline_script() -> None:
    page = Client().get("/api/v1/redoc/").content.decode()
    assert "fonts.googleapis.com" not in page
    assert "<script>" not in page
    assert "redoc-init.js" in page

"""Writes: bad input is a 400 naming the field and writes nothing; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from agreements.models import Measure, Rate, Source
from tests.factories import GLOBAL_MEASURE, TRUCE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]


def measure_id() -> int:
    return Measure.objects.get(slug=GLOBAL_MEASURE).pk


MEASURE = "the global surcharge"  # Resolved inside each test: collection has no database.


def rate_payload(**overrides: Any) -> dict[str, Any]:
    payload = {"measure": MEASURE, "rate": "5.00", "valid_from": "2027-01-01", **overrides}
    return {k: measure_id() if v == MEASURE else v for k, v in payload.items()}


# The world's sources, resolved inside each test: ids differ between databases (PostgreSQL
# does not reuse the ids of rolled-back rows), and an unknown source would be a field error
# that hides the object-level error some cases expect.
SOURCES = "the world's sources"


def with_world_ids(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        k: measure_id() if v == MEASURE else source_ids() if v == SOURCES else v
        for k, v in payload.items()
    }


def source_ids() -> list[int]:
    return list(Source.objects.order_by("pk").values_list("pk", flat=True)[:1])


def lazy_rate_payload(**overrides: Any) -> dict[str, Any]:
    return {"measure": MEASURE, "rate": "5.00", "valid_from": "2027-01-01", **overrides}


def test_an_overlapping_in_force_period_is_a_400_naming_the_collision(editor: Any) -> None:
    existing = Rate.objects.get(measure__slug=GLOBAL_MEASURE)
    response = editor.post("/api/v1/rates/", rate_payload(valid_from="2026-07-01"), format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["attr"] == "valid_from"
    assert error["detail"] == (
        f"Overlaps the in-force period 2026-02-24 to 2026-07-24 (rate 10.00%, id {existing.pk}) "
        "of the same measure."
    )
    assert Rate.objects.filter(measure__slug=GLOBAL_MEASURE).count() == 1


def test_moving_a_period_onto_another_is_refused_too(editor: Any) -> None:
    created = editor.post("/api/v1/rates/", rate_payload(), format="json").json()
    response = editor.patch(
        f"/api/v1/rates/{created['id']}/", {"valid_from": "2026-03-01"}, format="json"
    )
    assert response.status_code == 400
    assert Rate.objects.get(pk=created["id"]).valid_from.isoformat() == "2027-01-01"


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        (lazy_rate_payload(rate="abc"), "rate"),
        (lazy_rate_payload(rate=["5"]), "rate"),
        (lazy_rate_payload(rate="-1"), "rate"),
        (lazy_rate_payload(rate="123456789"), "rate"),
        (lazy_rate_payload(rate="1.234"), "rate"),
        (lazy_rate_payload(valid_from="2027-02-30"), "valid_from"),
        (lazy_rate_payload(valid_to="2026-12-31"), "valid_to"),
        (lazy_rate_payload(status="maybe"), "status"),
        (lazy_rate_payload(measure=10**12), "measure"),
        (lazy_rate_payload(measure="x"), "measure"),
        ({"rate": "5.00", "valid_from": "2027-01-01"}, "measure"),
        ({"measure": 1, "valid_from": "2027-01-01"}, "rate"),
    ],
)
def test_bad_rate_writes_are_400s_naming_the_field(
    editor: Any, payload: dict[str, Any], attr: str
) -> None:
    payload = {k: measure_id() if v == MEASURE else v for k, v in payload.items()}
    before = Rate.objects.count()
    response = editor.post("/api/v1/rates/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert attr in [error["attr"] for error in response.json()["errors"]]
    assert Rate.objects.count() == before


@pytest.mark.parametrize(
    ("url", "payload", "attr"),
    [
        (
            "/api/v1/agreements/",
            {
                "slug": "x",
                "title": "x",
                "kind": "deal",
                "summary": "x",
                "parties": ["ZZ"],
                "sources": SOURCES,
            },
            "parties",
        ),
        (
            "/api/v1/agreements/",
            {
                "slug": "x",
                "title": "x",
                "kind": "deal",
                "summary": "x",
                "parties": ["XA"],
                "sources": [],
            },
            "sources",
        ),
        (
            "/api/v1/agreements/",
            {
                "slug": TRUCE,
                "title": "x",
                "kind": "deal",
                "summary": "x",
                "parties": ["XA"],
                "sources": SOURCES,
            },
            "slug",
        ),
        (
            "/api/v1/agreements/",
            {
                "slug": "x",
                "title": "x",
                "kind": "deal",
                "summary": "x",
                "parties": ["XA"],
                "sources": SOURCES,
                "announced_on": "2025-06-01",
                "signed_on": "2025-05-01",
            },
            "non_field_errors",
        ),
        (
            "/api/v1/rounds/",
            {
                "title": "x",
                "city": "x",
                "venue_country": "XF",
                "start_date": "2025-05-02",
                "end_date": "2025-05-01",
                "parties": ["XA"],
                "sources": SOURCES,
            },
            "non_field_errors",
        ),
        (
            "/api/v1/rounds/",
            {
                "title": "x",
                "city": "x",
                "venue_country": "XF",
                "start_date": "2025-05-02",
                "end_date": "2025-05-03",
                "parties": ["XA"],
                "sources": SOURCES,
                "delegates": [
                    {"name": "A", "title": "", "economy": "XA"},
                    {"name": "A", "title": "", "economy": "XB"},
                ],
            },
            "delegates",
        ),
        (
            "/api/v1/commitments/",
            {
                "slug": "x",
                "pledger": "XC",
                "beneficiary": "XA",
                "kind": "investment",
                "description": "x",
                "amount": "5",
                "sources": SOURCES,
            },
            "non_field_errors",
        ),
        (
            "/api/v1/commitments/",
            {
                "slug": "x",
                "pledger": "XC",
                "beneficiary": "XC",
                "kind": "investment",
                "description": "x",
                "sources": SOURCES,
            },
            "non_field_errors",
        ),
        (
            "/api/v1/measures/",
            {
                "slug": "x",
                "title": "x",
                "importer": "XA",
                "legal_basis": "other",
                "instrument": "x",
                "program": "x",
                "kind": "additional",
                "products": ["9503.0x"],
                "sources": SOURCES,
            },
            "products",
        ),
        (
            "/api/v1/measures/",
            {
                "slug": "x",
                "title": "x",
                "importer": "XA",
                "legal_basis": "tariff",
                "instrument": "x",
                "program": "x",
                "kind": "additional",
                "sources": SOURCES,
            },
            "legal_basis",
        ),
        (
            "/api/v1/measures/",
            {
                "slug": "Not A Slug",
                "title": "x",
                "importer": "XA",
                "legal_basis": "other",
                "instrument": "x",
                "program": "x",
                "kind": "additional",
                "sources": SOURCES,
            },
            "slug",
        ),
        ("/api/v1/sources/", {"title": "x", "url": "not a url", "publisher": "x"}, "url"),
        (
            "/api/v1/sources/",
            {"title": 12, "url": "https://example.org/x", "publisher": {"a": 1}},
            "publisher",
        ),
    ],
)
def test_bad_writes_are_400s_naming_the_field(
    editor: Any, url: str, payload: dict[str, Any], attr: str
) -> None:
    response = editor.post(url, with_world_ids(payload), format="json")
    assert response.status_code == 400, response.json()
    assert attr in [error["attr"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "title=x&url=https://example.org/f&publisher=x"),
        ("multipart/form-data; boundary=b", "--b--"),
        ("application/xml", "<source><title>x</title></source>"),
        ("text/plain", "hello"),
    ],
)
def test_the_api_speaks_json_only(editor: Any, content_type: str, body: str) -> None:
    before = Source.objects.count()
    response = editor.generic("POST", "/api/v1/sources/", body, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["type"] == "client_error"
    assert Source.objects.count() == before


def test_malformed_json_is_a_400(editor: Any) -> None:
    response = editor.generic(
        "POST", "/api/v1/sources/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_a_database_conflict_is_a_409_not_a_500(
    editor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a race looks like: validation passed, then the database refused the row.
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("conflicting key value violates exclusion constraint")

    monkeypatch.setattr(Rate, "save", refuse)
    response = editor.post("/api/v1/rates/", rate_payload(), format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "conflict"


def test_an_admin_session_can_write_with_its_csrf_token(db: Any) -> None:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user = User.objects.create_user("session-editor", password="x" * 12)
    user.groups.add(Group.objects.get(name="editors"))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    payload = {"title": "Via session", "url": "https://example.org/s", "publisher": "Staff"}

    without_token = browser.post("/api/v1/sources/", payload, content_type="application/json")
    assert without_token.status_code == 403  # Session writes need the CSRF token.

    browser.get("/admin/login/")  # Renders a form, which sets the CSRF cookie.
    token = browser.cookies["csrftoken"].value
    created = browser.post(
        "/api/v1/sources/", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert created.status_code == 201
    assert Source.objects.filter(title="Via session").exists()


@pytest.mark.postgres
def test_the_exclusion_constraint_is_the_same_400_as_validation(
    editor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent write can pass validate() and meet the database's exclusion constraint;
    the client then hears which period collides, as validation would have told it."""
    existing = Rate.objects.get(measure__slug=GLOBAL_MEASURE)
    real = Rate.colliding_in_force_period
    calls: list[Rate] = []

    def blind_once(rate: Rate) -> Rate | None:
        # The first look, in validate(), happens "before the other write committed".
        calls.append(rate)
        return None if len(calls) == 1 else real(rate)

    monkeypatch.setattr(Rate, "colliding_in_force_period", blind_once)
    response = editor.post("/api/v1/rates/", rate_payload(valid_from="2026-07-01"), format="json")
    assert len(calls) == 2  # Validation was blind; the database refused; then we asked again.
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "invalid",
            "detail": f"Overlaps the in-force period 2026-02-24 to 2026-07-24 (rate 10.00%, "
            f"id {existing.pk}) of the same measure.",
            "attr": "valid_from",
        }
    ]
    assert Rate.objects.filter(measure__slug=GLOBAL_MEASURE).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("importer", 840, "incorrect_type"),
        ("importer", "USA", "invalid"),
        ("importer", "XZ", "does_not_exist"),
        ("products", [9503], "incorrect_type"),
        ("products", ["9503.00.00.00.1"], "invalid"),
        ("products", ["9503.99"], "does_not_exist"),
        ("agreement", "Not a slug!", "invalid"),
        ("agreement", "no-such-deal", "does_not_exist"),
        ("excluded_origins", "XB", "not_a_list"),
    ],
)
def test_related_keys_are_checked_for_type_and_format_before_lookup(
    editor: Any, field: str, value: Any, code: str
) -> None:
    payload = {
        "slug": "key-test",
        "title": "x",
        "importer": "XA",
        "legal_basis": "other",
        "instrument": "x",
        "program": "x",
        "kind": "additional",
        "sources": [Source.objects.order_by("pk").first().pk],  # type: ignore[union-attr]
        field: value,
    }
    response = editor.post("/api/v1/measures/", payload, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == code
    assert error["attr"] in (field, f"{field}.0", f"{field}.non_field_errors")


def test_a_round_write_is_all_or_nothing(db: Any) -> None:
    from agreements import services
    from agreements.models import NegotiationRound

    round_ = NegotiationRound.objects.get(city="Charliestad")
    before = list(round_.delegates.values_list("name", flat=True))
    us = round_.parties.get(code="XA")
    twice = {"name": "Same Person", "title": "", "economy": us}
    with pytest.raises(IntegrityError):
        services.round_save(
            instance=round_, fields={"city": "Oslo"}, parties=[us], delegates=[twice, twice]
        )
    round_.refresh_from_db()
    assert round_.city == "Charliestad"
    assert list(round_.delegates.values_list("name", flat=True)) == before
    assert round_.parties.count() == 2


@pytest.mark.parametrize("method", ["post", "patch"])
def test_each_delegate_must_be_complete_even_in_a_patch(editor: Any, method: str) -> None:
    from agreements.models import NegotiationRound

    round_ = NegotiationRound.objects.get(city="Charliestad")
    url = "/api/v1/rounds/" if method == "post" else f"/api/v1/rounds/{round_.pk}/"
    before = list(round_.delegates.values_list("name", flat=True))
    response = getattr(editor, method)(url, {"delegates": [{"title": "Minister"}]}, format="json")
    assert response.status_code == 400
    attrs = {error["attr"] for error in response.json()["errors"]}
    assert {"delegates.0.name", "delegates.0.economy"} <= attrs
    assert list(round_.delegates.values_list("name", flat=True)) == before


# SQLite has no row locks (its IMMEDIATE transactions serialize writers).
@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["rates", "measures"])
def test_a_write_locks_only_its_own_row(editor: Any, kind: str) -> None:
    # The lock that makes If-Match writes wait for each other (ConditionalWrites) is on the
    # record's row only: the models' default orderings go through their measure or
    # importer, and a FOR UPDATE over that join would lock the parent row too, making every
    # write to one measure's rates (or one importer's measures) wait for the others.
    rate = Rate.objects.get(measure__slug=GLOBAL_MEASURE)
    record, table = (
        (rate.pk, "agreements_rate") if kind == "rates" else (rate.measure_id, "agreements_measure")
    )
    with CaptureQueriesContext(connection) as queries:
        response = editor.patch(
            f"/api/v1/{kind}/{record}/", {"note": "Locked alone."}, format="json"
        )
    assert response.status_code == 200, response.content
    locks = [
        q["sql"]
        for q in queries.captured_queries
        if "FOR UPDATE" in (q["sql"] or "") and f'FROM "{table}"' in (q["sql"] or "")
    ]
    assert locks
    assert not [sql for sql in locks if "JOIN" in sql]

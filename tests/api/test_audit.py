"""Audit history: every write path records who, when and what; the changes feed serves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import audit, services
from agreements.models import Measure, NegotiationRound, Rate, Source
from tests.api.test_writes import rate_payload

pytestmark = pytest.mark.django_db


def feed_since(client: Any, moment: dt.datetime) -> list[dict[str, Any]]:
    """Every change at or after `moment`, following the cursor page by page."""
    url = f"/api/v1/changes/?page_size=2&since={moment.isoformat().replace('+', '%2B')}"
    results: list[dict[str, Any]] = []
    while True:
        page = client.get(url)
        assert page.status_code == 200, page.content
        body = page.json()
        results += body["results"]
        url = body["next"]
        if not body["has_more"]:
            return results


def test_an_api_write_records_who_when_and_what(editor: Any) -> None:
    start = timezone.now()
    created = editor.post("/api/v1/rates/", rate_payload(), format="json").json()
    editor.patch(f"/api/v1/rates/{created['id']}/", {"rate": "7.50"}, format="json")
    editor.delete(f"/api/v1/rates/{created['id']}/")

    changes = [c for c in feed_since(editor, start) if c["model"] == "rate"]
    assert [(c["action"], c["object_key"], c["actor"]) for c in changes] == [
        ("created", str(created["id"]), "editor"),
        ("updated", str(created["id"]), "editor"),
        ("deleted", str(created["id"]), "editor"),
    ]
    assert "rate" in changes[0]["changed_fields"]
    assert changes[1]["changed_fields"] == ["rate"]  # Only the field the PATCH changed.
    assert changes[2]["changed_fields"] == []
    history = Rate.history.filter(id=created["id"]).order_by("history_date")  # type: ignore[attr-defined]
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert history[1].rate == 7.5


def test_anonymous_readers_see_no_usernames(editor: Any, anonymous: Any) -> None:
    start = timezone.now()
    editor.post("/api/v1/rates/", rate_payload(), format="json")
    assert [c["actor"] for c in feed_since(anonymous, start)] == [None]
    assert [c["actor"] for c in feed_since(editor, start)] == ["editor"]
    # So a shared cache keeps the two answers apart.
    vary = anonymous.get("/api/v1/changes/")["Vary"]
    assert "Authorization" in vary
    assert "Cookie" in vary


def test_an_admin_edit_records_the_staff_user(admin_client: Client, admin_user: User) -> None:
    source = Source.objects.order_by("pk").first()
    assert source is not None
    url = reverse("admin:agreements_source_change", args=[source.pk])
    data = {
        "url": source.url,
        "title": "Corrected title",
        "publisher": source.publisher,
        "published_on": source.published_on.isoformat() if source.published_on else "",
        "note": source.note,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    latest = source.history.latest()  # type: ignore[attr-defined]
    assert (latest.history_type, latest.history_user, latest.title) == (
        "~",
        admin_user,
        "Corrected title",
    )
    # The admin shows that history on the record's own history page.
    page = admin_client.get(reverse("admin:agreements_source_history", args=[source.pk]))
    assert page.status_code == 200
    assert b"Corrected title" in page.content or admin_user.username.encode() in page.content


def test_a_bulk_write_through_the_services_is_audited() -> None:
    round_ = NegotiationRound.objects.get(city="Geneva")
    before = {d.pk for d in round_.delegates.all()}
    start = timezone.now()
    services.round_delegates_replace(
        round_=round_, delegates=[{"name": "A. Negotiator", "economy_id": "US", "is_lead": True}]
    )
    changes = audit.changes(since=start, limit=100)
    delegates = [(c.action, c.object_key) for c in changes if c.model == "delegate"]
    assert sorted(a for a, _ in delegates) == ["created"] + ["deleted"] * len(before)
    assert {int(k) for a, k in delegates if a == "deleted"} == before


def test_the_loader_is_audited_with_its_reason() -> None:
    measure = Measure.objects.get(slug="us-section-122-surcharge")
    measure.title = "Changed by hand"
    measure.save()
    start = timezone.now()
    call_command("seed_data", "--no-schedules", verbosity=0)  # Puts the fixture's title back.
    changes = audit.changes(since=start, limit=100)
    assert [(c.model, c.object_key, c.action, c.changed_fields, c.reason) for c in changes] == [
        ("measure", str(measure.pk), "updated", ["title"], "seed_data")
    ]


def test_the_seeded_database_has_a_full_history() -> None:
    for model in (Measure, Rate, Source):
        created = getattr(model, "history").filter(history_type="+").count()  # noqa: B009
        assert created == model.objects.count() > 0


def test_the_cursor_neither_skips_nor_repeats(anonymous: Any) -> None:
    def walk(size: int) -> list[tuple[str, str, str, str]]:
        url, seen = f"/api/v1/changes/?page_size={size}", []
        while True:
            body = anonymous.get(url).json()
            seen += [
                (c["model"], c["object_key"], c["action"], c["changed_at"]) for c in body["results"]
            ]
            url = body["next"]
            if not body["has_more"]:
                return seen

    large = walk(500)
    assert len(large) >= 7500  # The seed alone wrote one creation per record.
    assert walk(499) == large  # Another page size crosses bulk-write ties differently.
    assert len(set(large)) == len(large)


def test_changes_written_after_the_last_page_come_next(editor: Any) -> None:
    body = editor.get("/api/v1/changes/?page_size=500&since=2000-01-01T00:00:00Z").json()
    while body["has_more"]:
        body = editor.get(body["next"]).json()
    caught_up = body["next"]
    assert editor.get(caught_up).json()["results"] == []
    created = editor.post("/api/v1/rates/", rate_payload(), format="json").json()
    newer = editor.get(caught_up).json()
    assert [(c["model"], c["object_key"]) for c in newer["results"]] == [
        ("rate", str(created["id"]))
    ]


def test_a_page_costs_the_same_queries_whatever_its_size(anonymous: Any) -> None:
    counts = []
    for size in (5, 400):
        with CaptureQueriesContext(connection) as queries:
            assert anonymous.get(f"/api/v1/changes/?page_size={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 40


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=MjAyNQ", "cursor"),  # Valid base64, but not a position.
        ("since=yesterday", "since"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("since=2025-13-01T00:00:00Z", "since"),
    ],
)
def test_bad_feed_parameters_are_400s_naming_them(anonymous: Any, query: str, attr: str) -> None:
    response = anonymous.get(f"/api/v1/changes/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr


def test_the_newest_changes_wait_until_they_are_settled(editor: Any, settings: Any) -> None:
    body = editor.get("/api/v1/changes/?page_size=500&since=2000-01-01T00:00:00Z").json()
    while body["has_more"]:
        body = editor.get(body["next"]).json()
    caught_up = body["next"]
    settings.CHANGES_FEED_DELAY_SECONDS = 60
    created = editor.post("/api/v1/rates/", rate_payload(), format="json").json()
    # Too fresh: a slower transaction could still commit a change stamped before it.
    assert editor.get(caught_up).json()["results"] == []
    settings.CHANGES_FEED_DELAY_SECONDS = 0  # As if a minute had passed.
    assert [c["object_key"] for c in editor.get(caught_up).json()["results"]] == [
        str(created["id"])
    ]

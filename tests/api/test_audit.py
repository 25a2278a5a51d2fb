"""Audit history: every write path records who, when and what; the changes feed serves it."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import audit, seeding, services
from agreements.api import changes as changes_api
from agreements.models import Measure, NegotiationRound, Rate, Source
from tests import factories
from tests.api.test_writes import rate_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]


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

    User.objects.filter(username="editor").update(is_staff=True)  # Staff see who did it.
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


def test_only_staff_see_usernames(editor: Any, anonymous: Any, outsider: Any) -> None:
    start = timezone.now()
    editor.post("/api/v1/rates/", rate_payload(), format="json")
    assert [c["actor"] for c in feed_since(anonymous, start)] == [None]
    # A token holder without staff status (a viewer, even an editor) sees no usernames.
    assert [c["actor"] for c in feed_since(outsider, start)] == [None]
    assert [c["actor"] for c in feed_since(editor, start)] == [None]
    User.objects.filter(username="outsider").update(is_staff=True)
    assert [c["actor"] for c in feed_since(outsider, start)] == ["editor"]
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
    round_ = NegotiationRound.objects.get(city="Alphaville")
    before = {d.pk for d in round_.delegates.all()}
    start = timezone.now()
    services.round_delegates_replace(
        round_=round_, delegates=[{"name": "A. Negotiator", "economy_id": "XA", "is_lead": True}]
    )
    changes = audit.changes(since=start, limit=100)
    delegates = [(c.action, c.object_key) for c in changes if c.model == "delegate"]
    assert sorted(a for a, _ in delegates) == ["created"] + ["deleted"] * len(before)
    assert {int(k) for a, k in delegates if a == "deleted"} == before


def write_fixtures(folder: Path) -> None:
    """One source and one measure, in the loader's file format."""
    sources = {
        "default_note": "",
        "sources": [
            {
                "key": "loaded-notice",
                "url": "https://example.org/loaded",
                "publisher": "p",
                "title": "Loaded notice",
            }
        ],
    }
    measures = [
        {
            "slug": "xa-loaded-measure",
            "title": "Loaded measure",
            "importer": "XA",
            "origin": "XB",
            "excluded_origins": [],
            "products": ["950300"],
            "excluded_products": [],
            "legal_basis": "other",
            "instrument": "Loaded act",
            "program": "loaded",
            "kind": "additional",
            "agreement": None,
            "note": "",
            "sources": ["loaded-notice"],
            "rates": [
                {
                    "rate": "5.00",
                    "valid_from": "2025-01-01",
                    "valid_to": None,
                    "status": "in_force",
                    "note": "",
                }
            ],
        }
    ]
    (folder / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    (folder / "measures.json").write_text(json.dumps(measures), encoding="utf-8")


def load(folder: Path) -> None:
    report = seeding.SeedReport()
    seeding.seed_measures(report, seeding.seed_sources(report, folder), folder)


def test_the_loader_is_audited_with_its_reason(tmp_path: Path) -> None:
    # A folder of the loader's own format, so no shipped fact plays a part.
    write_fixtures(tmp_path)
    load(tmp_path)
    measure = Measure.objects.get(slug="xa-loaded-measure")
    measure.title = "Changed by hand"
    measure.save()
    start = timezone.now()
    load(tmp_path)  # Puts the fixture's title back.
    changes = audit.changes(since=start, limit=100)
    assert [(c.model, c.object_key, c.action, c.changed_fields, c.reason) for c in changes] == [
        ("measure", str(measure.pk), "updated", ["title"], "seed_data")
    ]


def test_records_built_by_the_factories_have_a_full_history() -> None:
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

    # Bulk writes stamp many records with one time: pages must cut through such ties.
    factories.products_in_bulk([str(code) for code in range(100_000, 101_200)])
    large = walk(500)
    assert len(large) > 1200  # One creation per record: the bulk ones and the world's.
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
    # The cost grows with the kinds of records a page holds, never with its length: pages of
    # one kind (a bulk write) cost the same at any size, and a page of every kind stays bounded.
    since = timezone.now().isoformat().replace("+", "%2B")
    factories.products_in_bulk([str(code) for code in range(100_000, 100_500)])
    counts = []
    for size in (5, 400):
        with CaptureQueriesContext(connection) as queries:
            page = anonymous.get(f"/api/v1/changes/?page_size={size}&since={since}")
        assert len(page.json()["results"]) == size
        counts.append(len(queries))
    with CaptureQueriesContext(connection) as queries:
        page = anonymous.get("/api/v1/changes/?page_size=400")
    assert len({c["model"] for c in page.json()["results"]}) == len(audit.MODEL_NAMES)
    assert counts[0] == counts[1] <= len(queries) <= 40


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
    """SQLite's guard for writes outside a transaction (agreements.audit); PostgreSQL orders
    by transaction instead (the test below)."""
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL needs no delay: the transaction order covers it")
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


def test_a_cursor_issued_before_transaction_order_still_works(anonymous: Any) -> None:
    first = anonymous.get("/api/v1/changes/?page_size=1").json()
    position = changes_api.decode_cursor(parse_qs(urlsplit(first["next"]).query)["cursor"][0])
    # The old form: time|model|history id, without the transaction.
    old = f"{position.at.isoformat()}|{position.model}|{position.history_id}"
    cursor = base64.urlsafe_b64encode(old.encode()).decode().rstrip("=")
    answer = anonymous.get(f"/api/v1/changes/?page_size=1&cursor={cursor}")
    assert answer.status_code == 200
    if position.txid == 0:  # The seed ran before the feed knew transactions (SQLite).
        second = anonymous.get(first["next"]).json()
        assert answer.json()["results"] == second["results"]


@pytest.mark.postgres
def test_every_history_table_records_its_transaction() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_default FROM information_schema.columns "
            "WHERE column_name = 'feed_txid' ORDER BY table_name"
        )
        defaults = dict(cursor.fetchall())
    tables = {model._meta.db_table for model in audit.history_models()}
    assert set(defaults) == tables
    assert all("pg_current_xact_id" in default for default in defaults.values()), defaults


@pytest.mark.postgres
def test_a_transaction_held_open_past_any_delay_is_never_passed_by_a_cursor() -> None:
    """A slow writer stamps a change, then holds its transaction open; meanwhile a quick
    writer's later change commits. A client that reads then must not be handed the quick
    change (its cursor would pass the slow one, which would never reach it)."""
    start = timezone.now()
    urls = {"slow": "https://example.org/held-open", "quick": "https://example.org/quick"}
    wrote, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def in_thread(work: Any) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # Reported by the test below.
                failures.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def slow() -> None:
        with transaction.atomic():
            Source.objects.create(url=urls["slow"], title="Held open")
            wrote.set()
            assert release.wait(60)

    def quick() -> None:
        Source.objects.create(url=urls["quick"], title="Committed at once")

    def cleanup() -> None:
        Source.objects.filter(url__in=urls.values()).delete()
        Source.history.filter(url__in=urls.values()).delete()  # type: ignore[attr-defined]

    client = Client()
    url = f"/api/v1/changes/?since={start.isoformat().replace('+', '%2B')}"
    delivered: list[str] = []

    def poll() -> None:
        nonlocal url
        body = client.get(url).json()
        delivered.extend(change["object_key"] for change in body["results"])
        url = body["next"]

    slow_writer = in_thread(slow)
    try:
        assert wrote.wait(30)
        in_thread(quick).join(30)
        # Longer than any delay would be: the quick change is committed and settled, yet
        # held back because a transaction that began before it is still open.
        time.sleep(1)
        poll()
        assert delivered == []
        release.set()
        slow_writer.join(30)
        keys = dict(Source.objects.filter(url__in=urls.values()).values_list("url", "pk"))
        expected = [str(keys[urls["slow"]]), str(keys[urls["quick"]])]
        # Other transactions on the server may hold the horizon back for a moment.
        deadline = time.monotonic() + 30
        while len(delivered) < 2 and time.monotonic() < deadline:
            poll()
            time.sleep(0.2)
        assert delivered == expected
    finally:
        release.set()
        slow_writer.join(30)
        in_thread(cleanup).join(30)
    assert not failures, failures

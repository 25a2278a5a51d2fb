"""Agreements as of a date, and their timelines, on records built here for the edge cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from agreements.models import Agreement
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def shortened(db: Any) -> Agreement:
    """Agreed to run to June, extended to September, then cut back to August, then ended."""
    agreement = Agreement.objects.create(
        slug="edge-deal",
        title="Edge deal",
        kind="truce",
        summary="x",
        announced_on=dt.date(2025, 1, 10),
        effective_on=dt.date(2025, 2, 1),
        expires_on=dt.date(2025, 6, 1),
    )
    agreement.sources.set([factories.source()])
    for decided, expires in (((2025, 5, 1), (2025, 9, 1)), ((2025, 7, 1), (2025, 8, 1))):
        agreement.extensions.create(
            decided_on=dt.date(*decided), expires_on=dt.date(*expires), instrument="Order"
        )
    return agreement


@pytest.mark.parametrize(
    ("as_of", "status", "expires_on"),
    [
        ("2025-01-09", "not_yet_announced", "2025-06-01"),
        ("2025-01-10", "announced", "2025-06-01"),
        ("2025-04-30", "in_force", "2025-06-01"),
        ("2025-05-01", "in_force", "2025-09-01"),
        ("2025-07-01", "in_force", "2025-08-01"),
        ("2025-08-01", "expired", "2025-08-01"),
    ],
)
def test_status_and_expiry_as_of(
    anonymous: Any, shortened: Agreement, as_of: str, status: str, expires_on: str
) -> None:
    body = anonymous.get("/api/v1/agreements/edge-deal/", {"as_of": as_of}).json()
    assert (body["status"], body["expires_on"]) == (status, expires_on)
    listed = anonymous.get("/api/v1/agreements/", {"status": status, "as_of": as_of}).json()
    assert "edge-deal" in [item["slug"] for item in listed["results"]]


def test_each_extension_says_what_it_replaced(anonymous: Any, shortened: Agreement) -> None:
    body = anonymous.get("/api/v1/agreements/edge-deal/").json()
    assert [(e["previous_expires_on"], e["expires_on"]) for e in body["extensions"]] == [
        ("2025-06-01", "2025-09-01"),
        ("2025-09-01", "2025-08-01"),
    ]


def test_the_timeline_ends_with_the_expiry_as_finally_decided(
    anonymous: Any, shortened: Agreement
) -> None:
    events = anonymous.get("/api/v1/agreements/edge-deal/timeline/").json()
    assert events == [
        {"date": "2025-01-10", "kind": "announced", "title": "Edge deal announced"},
        {"date": "2025-02-01", "kind": "entry_into_force", "title": "Entered into force"},
        {"date": "2025-05-01", "kind": "extension", "title": "Extended to 2025-09-01 (Order)"},
        {"date": "2025-07-01", "kind": "extension", "title": "Extended to 2025-08-01 (Order)"},
        {"date": "2025-08-01", "kind": "expiry", "title": "Expires (as last extended)"},
    ]


def test_a_termination_replaces_the_expiry_it_preempted(
    anonymous: Any, shortened: Agreement
) -> None:
    shortened.terminated_on = dt.date(2025, 7, 15)
    shortened.save()
    events = anonymous.get("/api/v1/agreements/edge-deal/timeline/").json()
    assert [(e["date"], e["kind"]) for e in events][-2:] == [
        ("2025-07-01", "extension"),
        ("2025-07-15", "termination"),
    ]
    body = anonymous.get("/api/v1/agreements/edge-deal/", {"as_of": "2025-07-20"}).json()
    assert body["status"] == "terminated"


def test_active_on_uses_what_was_known_that_day(anonymous: Any, shortened: Agreement) -> None:
    def active(day: str) -> bool:
        listed = anonymous.get("/api/v1/agreements/", {"active_on": day, "kind": "truce"})
        return "edge-deal" in [item["slug"] for item in listed.json()["results"]]

    assert (active("2025-01-31"), active("2025-07-31"), active("2025-08-01")) == (
        False,
        True,
        False,
    )

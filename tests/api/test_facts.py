"""The shipped facts, read as clients read them."""

from __future__ import annotations

from typing import Any

import pytest

# Reads the shipped data: runs last, on the seeded database (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.facts]
TRUCE = "/api/v1/agreements/us-cn-geneva-truce/"


@pytest.mark.parametrize(
    ("as_of", "expires_on", "status"),
    [
        ("2025-08-01", "2025-08-12", "in_force"),
        ("2025-08-11", "2025-11-10", "in_force"),
        ("2025-11-05", "2026-11-10", "in_force"),
        ("2026-11-25", "2026-11-10", "expired"),
    ],
)
def test_the_truce_expiry_as_of(anonymous: Any, as_of: str, expires_on: str, status: str) -> None:
    body = anonymous.get(TRUCE, {"as_of": as_of}).json()
    assert (body["expires_on"], body["status"]) == (expires_on, status)
    assert body["original_expires_on"] == "2025-08-12"


def test_the_truce_in_full(anonymous: Any) -> None:
    body = anonymous.get(TRUCE, {"as_of": "2025-08-01"}).json()
    for extension in body["extensions"]:
        assert extension.pop("sources")
    assert body.pop("sources")
    assert body.pop("summary").startswith("The 90-day tariff truce.")
    assert body.pop("note").startswith("Expiry is 12:01 a.m. EDT on 12 August 2025")
    assert body == {
        "slug": "us-cn-geneva-truce",
        "title": "Joint Statement on U.S.\u2013China Economic and Trade Meeting in Geneva",
        "kind": "truce",
        "parties": ["CN", "US"],
        "status": "in_force",
        "announced_on": "2025-05-12",
        "signed_on": "2025-05-12",
        "effective_on": "2025-05-14",
        "expires_on": "2025-08-12",
        "original_expires_on": "2025-08-12",
        "terminated_on": None,
        "binding": None,
        "extensions": [
            {
                "decided_on": "2025-08-11",
                "expires_on": "2025-11-10",
                "previous_expires_on": "2025-08-12",
                "instrument": "EO 14334; Stockholm Joint Statement",
                "note": body["extensions"][0]["note"],
            },
            {
                "decided_on": "2025-11-04",
                "expires_on": "2026-11-10",
                "previous_expires_on": "2025-11-10",
                "instrument": "EO 14358; Kuala Lumpur Joint Arrangement",
                "note": body["extensions"][1]["note"],
            },
        ],
    }


def test_the_truce_timeline(anonymous: Any) -> None:
    events = anonymous.get(f"{TRUCE}timeline/").json()
    assert [(e["date"], e["kind"]) for e in events] == [
        ("2025-05-10", "round"),
        ("2025-05-12", "announced"),
        ("2025-05-12", "signed"),
        ("2025-05-14", "entry_into_force"),
        ("2025-07-28", "round"),
        ("2025-08-11", "extension"),
        ("2025-09-14", "round"),
        ("2025-11-04", "extension"),
        ("2026-11-10", "expiry"),
    ]


def test_rounds_by_city_and_date(anonymous: Any) -> None:
    rounds = anonymous.get("/api/v1/rounds/", {"from": "2025-07-01", "to": "2025-09-30"})
    assert [(r["city"], r["start_date"]) for r in rounds.json()["results"]] == [
        ("Stockholm", "2025-07-28"),
        ("Madrid", "2025-09-14"),
    ]
    geneva = anonymous.get("/api/v1/rounds/", {"city": "GENEVA"}).json()["results"][0]
    assert geneva["venue_country"] == "CH"
    assert [(d["name"], d["economy"]) for d in geneva["delegates"]] == [
        ("He Lifeng", "CN"),
        ("Jamieson Greer", "US"),
        ("Scott Bessent", "US"),
    ]


def test_an_officials_rounds(anonymous: Any) -> None:
    rounds = anonymous.get("/api/v1/rounds/", {"official": "Wang Wentao"}).json()["results"]
    assert [r["city"] for r in rounds] == ["London", "Busan"]


def test_japans_550bn_commitment(anonymous: Any) -> None:
    found = anonymous.get("/api/v1/commitments/", {"pledger": "JP", "kind": "investment"})
    (pledge,) = found.json()["results"]
    assert (pledge["amount"], pledge["currency"], pledge["agreement"]) == (
        "550000000000.00",
        "USD",
        "us-jp-agreement",
    )
    assert pledge["due_by"] == "2029-01-19"

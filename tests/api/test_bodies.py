"""One representative record per resource, compared whole, on the synthetic world."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from agreements.models import Commitment, Measure, NegotiationRound, Rate, Source
from tests.factories import PARTNER_MEASURE, PURCHASE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]


def ids(queryset: Any) -> list[int]:
    """Source ids in the order the API lists them: Source's own ordering."""
    return list(queryset.values_list("pk", flat=True))


def test_economy(anonymous: Any) -> None:
    body = anonymous.get("/api/v1/economies/xd/").json()
    assert body == {
        "code": "XD",
        "name": "Dalmatia",
        "kind": "country",
        "members": [],
        "member_of": [{"code": "XE", "joined_on": "1973-01-01", "left_on": "2020-02-01"}],
    }
    bloc = anonymous.get("/api/v1/economies/XE/").json()
    assert len(bloc["members"]) == 2  # The one member and XD's past membership.
    assert bloc["member_of"] == []


def test_product(anonymous: Any) -> None:
    assert anonymous.get("/api/v1/products/9503/").json() == {
        "code": "9503",
        "level": "heading",
        "description": "Tricycles, scooters, dolls and other toys",
        "parent": "95",
    }
    assert anonymous.get("/api/v1/products/95/").json()["parent"] is None


def test_source(anonymous: Any) -> None:
    source = Source.objects.get(url="https://example.org/notices/chips-review")
    assert anonymous.get(f"/api/v1/sources/{source.pk}/").json() == {
        "id": source.pk,
        "title": "Semiconductor review: chips to 50% from 1 January 2025",
        "url": "https://example.org/notices/chips-review",
        "publisher": "Test Trade Office",
        "published_on": None,
        "note": "A synthetic notice.",
    }


def test_round(anonymous: Any) -> None:
    round_ = NegotiationRound.objects.get(city="Charliestad")
    body = anonymous.get(f"/api/v1/rounds/{round_.pk}/").json()
    assert body == {
        "id": round_.pk,
        "agreement": "xa-xb-truce",
        "title": "Charliestad talks",
        "city": "Charliestad",
        "venue": "Town hall",
        "venue_country": "XH",
        "start_date": "2025-07-28",
        "end_date": "2025-07-29",
        "status": "held",
        "parties": ["XA", "XB"],
        # Ordered by economy, leads first, then by name.
        "delegates": [
            {
                "name": "Ann Able",
                "title": "Finance Minister",
                "economy": "XA",
                "is_lead": True,
                "note": "",
            },
            {
                "name": "Bo Baker",
                "title": "Trade Representative",
                "economy": "XA",
                "is_lead": True,
                "note": "",
            },
            {
                "name": "Chen Cao",
                "title": "Vice Premier",
                "economy": "XB",
                "is_lead": True,
                "note": "",
            },
            {
                "name": "Li Lang",
                "title": "Trade Representative",
                "economy": "XB",
                "is_lead": False,
                "note": "",
            },
        ],
        "outcome": "The truce extended.",
        "note": "Reported as the third round.",
        "sources": ids(round_.sources),
    }
    assert len(body["sources"]) == 2


def test_commitment(anonymous: Any) -> None:
    pledge = Commitment.objects.get(slug=PURCHASE)
    assert anonymous.get(f"/api/v1/commitments/{pledge.pk}/").json() == {
        "id": pledge.pk,
        "slug": "xb-xa-soybeans",
        "agreement": "xa-xb-arrangement",
        "pledger": "XB",
        "beneficiary": "XA",
        "kind": "purchase",
        "description": "At least 25 million tonnes of soybeans a year.",
        "amount": None,
        "currency": "",
        "quantity": "25000000.00",
        "unit": "tonnes a year",
        "announced_on": "2025-10-30",
        "due_by": "2029-01-01",
        "note": "",
        "sources": ids(pledge.sources),
    }


def test_measure_and_its_rate(anonymous: Any) -> None:
    measure = Measure.objects.get(slug=PARTNER_MEASURE)
    body = anonymous.get(f"/api/v1/measures/{measure.pk}/").json()
    (period,) = Rate.objects.filter(measure=measure)
    assert body == {
        "id": measure.pk,
        "slug": "xa-reciprocal-xc-order-2",
        "title": "XA reciprocal rate for XC: 15% all-in (Order R-4)",
        "importer": "XA",
        "origin": "XC",
        "excluded_origins": [],
        "products": [],
        "excluded_products": ["8703"],
        "legal_basis": "ieepa",
        "instrument": "Order R-4",
        "program": "xa-reciprocal",
        "kind": "all_in",
        "claim": None,
        "waived_by": [],
        "yields_to": [],
        "yields_content_to": [],
        "basis": "value",
        "agreement": "xa-xc-deal",
        "note": "",
        "sources": ids(measure.sources),
        "rates": [
            {
                "id": period.pk,
                "rate": "15.00",
                "valid_from": "2025-08-07",
                "valid_to": "2026-02-20",
                "status": "in_force",
                "note": "",
            }
        ],
    }
    assert anonymous.get(f"/api/v1/rates/{period.pk}/").json() == {
        "id": period.pk,
        "measure": measure.pk,
        "rate": "15.00",
        "valid_from": "2025-08-07",
        "valid_to": "2026-02-20",
        "status": "in_force",
        "note": "",
        "importer": "XA",
        "origin": "XC",
        "legal_basis": "ieepa",
        "kind": "all_in",
        "title": "XA reciprocal rate for XC: 15% all-in (Order R-4)",
    }


def test_rates_list_as_csv(anonymous: Any) -> None:
    response = anonymous.get(
        "/api/v1/rates/",
        {"importer": "XA", "origin": "XB", "legal_basis": "ieepa", "format": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    # By measure (importer, program, slug), then by start: the drugs orders, then reciprocal.
    assert [(r["rate"], r["valid_from"], r["valid_to"]) for r in rows] == [
        ("10.00", "2025-02-04", "2025-03-04"),
        ("20.00", "2025-03-04", "2025-11-10"),
        ("10.00", "2025-11-10", "2026-02-20"),
        ("84.00", "2025-04-09", "2025-04-10"),
        ("125.00", "2025-04-10", "2025-05-14"),
        ("10.00", "2025-05-14", "2025-08-12"),
        ("10.00", "2025-08-12", "2025-11-10"),
        ("10.00", "2025-11-10", "2026-02-20"),
    ]
    assert {r["importer"] for r in rows} == {"XA"}

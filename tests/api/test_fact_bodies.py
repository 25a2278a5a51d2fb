"""One shipped record per resource, compared whole: the facts as the API serves them.

tests/api/test_bodies.py holds the same comparisons on synthetic records, for the
representation itself; these check the shipped data reaches clients intact."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from agreements.models import Commitment, Measure, NegotiationRound, Rate, Source

# Reads the shipped data: runs last, on the seeded database (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.facts]


def ids(queryset: Any) -> list[int]:
    """Source ids in the order the API lists them: Source's own ordering."""
    return list(queryset.values_list("pk", flat=True))


def test_economy(anonymous: Any) -> None:
    body = anonymous.get("/api/v1/economies/gb/").json()
    assert body == {
        "code": "GB",
        "name": "United Kingdom",
        "kind": "country",
        "members": [],
        "member_of": [{"code": "EU", "joined_on": "1973-01-01", "left_on": "2020-02-01"}],
    }
    eu = anonymous.get("/api/v1/economies/EU/").json()
    assert len(eu["members"]) == 28  # The 27 members and the UK's past membership.
    assert eu["member_of"] == []


def test_product(anonymous: Any) -> None:
    assert anonymous.get("/api/v1/products/9503/").json() == {
        "code": "9503",
        "level": "heading",
        "description": anonymous.get("/api/v1/products/9503/").json()["description"],
        "parent": "95",
    }
    assert anonymous.get("/api/v1/products/95/").json()["parent"] is None


def test_source(anonymous: Any) -> None:
    url = (
        "https://www.whitehouse.gov/presidential-actions/2025/02/"
        "adjusting-imports-of-steel-into-the-united-states/"
    )
    source = Source.objects.get(url=url)
    assert anonymous.get(f"/api/v1/sources/{source.pk}/").json() == {
        "id": source.pk,
        "title": "Adjusting Imports of Steel into the United States (Proclamation of February "
        "10, 2025)",
        "url": url,
        "publisher": "The White House",
        "published_on": "2025-02-10",
        "note": "",
    }


def test_round(anonymous: Any) -> None:
    round_ = NegotiationRound.objects.get(city="Stockholm")
    body = anonymous.get(f"/api/v1/rounds/{round_.pk}/").json()
    assert body == {
        "id": round_.pk,
        "agreement": "us-cn-geneva-truce",
        "title": "Stockholm talks",
        "city": "Stockholm",
        "venue": "Rosenbad (Prime Minister's Office)",
        "venue_country": "SE",
        "start_date": "2025-07-28",
        "end_date": "2025-07-29",
        "status": "held",
        "parties": ["CN", "US"],
        "delegates": [
            {
                "name": "He Lifeng",
                "title": "Vice Premier of the State Council",
                "economy": "CN",
                "is_lead": True,
                "note": "",
            },
            {
                "name": "Li Chenggang",
                "title": "China International Trade Representative and Vice Minister of Commerce",
                "economy": "CN",
                "is_lead": False,
                "note": "",
            },
            {
                "name": "Jamieson Greer",
                "title": "United States Trade Representative",
                "economy": "US",
                "is_lead": True,
                "note": "",
            },
            {
                "name": "Scott Bessent",
                "title": "Secretary of the Treasury",
                "economy": "US",
                "is_lead": True,
                "note": "",
            },
        ],
        "outcome": round_.outcome,
        "note": "Reported as the third round. He Lifeng was in Sweden from 27 to 30 July 2025.",
        "sources": ids(round_.sources),
    }


def test_commitment(anonymous: Any) -> None:
    pledge = Commitment.objects.get(slug="cn-us-soybeans-2026-2028")
    assert anonymous.get(f"/api/v1/commitments/{pledge.pk}/").json() == {
        "id": pledge.pk,
        "slug": "cn-us-soybeans-2026-2028",
        "agreement": "us-cn-kuala-lumpur-arrangement",
        "pledger": "CN",
        "beneficiary": "US",
        "kind": "purchase",
        "description": "At least 25 million metric tons of US soybeans a year in 2026, 2027 "
        "and 2028.",
        "amount": None,
        "currency": "",
        "quantity": "25000000.00",
        "unit": "tonnes a year",
        "announced_on": "2025-10-30",
        "due_by": "2029-01-01",
        "note": "",
        "sources": ids(pledge.sources),
    }


TITLE = (
    "US reciprocal tariff on Japan: 15% all-in (MFN + reciprocal = 15%, nothing added at "
    "MFN >= 15%)"
)


def test_measure_and_its_rate(anonymous: Any) -> None:
    # EO 14345 (2025-09-04): MFN + reciprocal = 15%, retroactive to entries from 2025-08-07;
    # every IEEPA duty ends with the Supreme Court's ruling of 2026-02-20.
    measure = Measure.objects.get(slug="us-ieepa-reciprocal-jp-all-in")
    body = anonymous.get(f"/api/v1/measures/{measure.pk}/").json()
    (period,) = Rate.objects.filter(measure=measure)
    assert body == {
        "id": measure.pk,
        "slug": "us-ieepa-reciprocal-jp-all-in",
        "title": TITLE,
        "importer": "US",
        "origin": "JP",
        "excluded_origins": [],
        "products": [],
        "excluded_products": [],
        "legal_basis": "ieepa",
        "instrument": "EO 14257 as amended by EO 14326 and EO 14345",
        "program": "us-ieepa-reciprocal",
        "kind": "all_in",
        "claim": None,
        "waived_by": [],
        "yields_to": [
            "us-ieepa-reciprocal-exempt",
            "us-s232-steel",
            "us-s232-aluminum",
            "us-s232-autos",
            "us-s232-auto-parts",
            "us-s232-timber-lumber",
            "us-s232-trucks",
        ],
        "yields_content_to": [
            "us-s232-steel-content",
            "us-s232-aluminum-content",
            "us-s232-copper",
        ],
        "basis": "value",
        "agreement": "us-jp-agreement",
        "note": measure.note,
        "sources": ids(measure.sources),
        "rates": [
            {
                "id": period.pk,
                "rate": "15.00",
                "valid_from": "2025-08-07",
                "valid_to": "2026-02-20",
                "status": "in_force",
                "note": period.note,
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
        "note": period.note,
        "importer": "US",
        "origin": "JP",
        "legal_basis": "ieepa",
        "kind": "all_in",
        "title": TITLE,
    }


def test_rates_list_as_csv(anonymous: Any) -> None:
    response = anonymous.get(
        "/api/v1/rates/",
        {"importer": "US", "origin": "CN", "legal_basis": "ieepa", "format": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    # By id, the order the loader wrote them (fixtures/us/measures/ieepa.json): the reciprocal
    # duty (EO 14259 84%, EO 14266 125%, then 10% under the Geneva truce, EO 14298, kept by
    # EO 14334 and EO 14358), then the fentanyl duty (EO 14195 10%, EO 14228 20%, EO 14357
    # 10%); all IEEPA duties end on 2026-02-20.
    assert [(r["rate"], r["valid_from"], r["valid_to"]) for r in rows] == [
        ("84.00", "2025-04-09", "2025-04-10"),
        ("125.00", "2025-04-10", "2025-05-14"),
        ("10.00", "2025-05-14", "2026-02-20"),
        ("10.00", "2025-02-04", "2025-03-04"),
        ("20.00", "2025-03-04", "2025-11-10"),
        ("10.00", "2025-11-10", "2026-02-20"),
    ]
    assert {r["importer"] for r in rows} == {"US"}

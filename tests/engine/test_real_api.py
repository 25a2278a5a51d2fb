"""rates/effective/ and rates/timeline/ over HTTP, on the shipped 2025 data.

tests/engine/test_api.py holds the same requests on synthetic measures, for the contract;
these check the answers analysts know from the real case."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.conftest import CheckedClient

# Reads the shipped data: runs last, on the seeded database (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.facts]


@pytest.fixture
def client() -> CheckedClient:
    """Every response of these tests is validated against the committed schema too."""
    return CheckedClient()


EFFECTIVE = "/api/v1/rates/effective/"
TIMELINE = "/api/v1/rates/timeline/"


def test_effective_rate_full_body(client: CheckedClient) -> None:
    response = client.get(
        EFFECTIVE, {"importer": "us", "origin": "cn", "hs": "9503.00", "date": "2025-05-20"}
    )
    assert response.status_code == 200
    body = response.json()
    components = body.pop("components")
    assert body == {
        "importer": "US",
        "origin": "CN",
        "hs": "950300",
        "date": "2025-05-20",
        "scenario": "in_force",
        "claims": [],
        "product": {
            "code": "950300",
            "description": body["product"]["description"],
        },
        "base_rate": "0.00",
        "additional_rate": "30.00",
        "total_rate": "30.00",
        "complete": True,
        "warnings": [],
        "currency": "USD",
        "value": None,
        "quantity": None,
        "unit": None,
        "content_value": None,
        "duty_amount": None,
        "ad_valorem_equivalent": None,
        "available_claims": [],
    }
    assert body["product"]["description"].startswith("Tricycles, scooters")
    # HTS 9503.00.00 column 1 general "Free"; the Geneva truce's 10% (EO 14298, from
    # 2025-05-14, kept by EO 14334 and EO 14358 until the IEEPA duties ended on 2026-02-20);
    # the fentanyl duty at 20% (EO 14228, 2025-03-04, to 10% by EO 14357 from 2025-11-10).
    fentanyl = components[2]
    del fentanyl["measure"], fentanyl["rate_id"]
    assert fentanyl == {
        "title": "US IEEPA fentanyl duty on China (EO 14195, EO 14228)",
        "legal_basis": "ieepa",
        "instrument": "EO 14195 as amended by EO 14228",
        "program": "us-ieepa-fentanyl",
        "kind": "additional",
        "rate": "20.00",
        "applied_rate": "20.00",
        "valid_from": "2025-03-04",
        "valid_to": "2025-11-10",
        "agreement": None,
        "matched_product": None,
        "expression": "",
        "specific_amount": None,
        "specific_currency": None,
        "specific_unit": None,
        "basis": "value",
        "claim": None,
        "charged_on": "value",
        "duty_amount": None,
    }
    assert [(c["program"], c["applied_rate"], c["valid_to"]) for c in components] == [
        ("us-mfn", "0.00", None),
        ("us-ieepa-reciprocal", "10.00", "2026-02-20"),
        ("us-ieepa-fentanyl", "20.00", "2025-11-10"),
    ]
    assert components[0]["matched_product"] == "950300"
    assert components[1]["agreement"] == "us-cn-geneva-truce"


def test_timeline_periods(client: CheckedClient) -> None:
    response = client.get(
        TIMELINE,
        {
            "importer": "US",
            "origin": "CN",
            "hs": "950300",
            "from": "2025-03-01",
            "to": "2025-06-01",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == ("2025-03-01", "2025-06-01")
    assert [(p["valid_from"], p["valid_to"], p["total_rate"]) for p in body["periods"]] == [
        ("2025-03-01", "2025-03-04", "10.00"),
        ("2025-03-04", "2025-04-05", "20.00"),
        ("2025-04-05", "2025-04-09", "30.00"),
        ("2025-04-09", "2025-04-10", "104.00"),
        ("2025-04-10", "2025-05-14", "145.00"),
        ("2025-05-14", "2025-06-01", "30.00"),
    ]


def test_effective_rate_as_csv(client: CheckedClient) -> None:
    params = {"importer": "US", "origin": "JP", "hs": "950300", "date": "2025-10-01"}
    by_param = client.get(EFFECTIVE, {**params, "format": "csv"})
    by_header = client.get(EFFECTIVE, params, HTTP_ACCEPT="text/csv")
    for response in (by_param, by_header):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(by_param.content.decode())))
    assert [(r["component_instrument"], r["component_applied_rate"]) for r in rows] == [
        ("HTSUS column 1 general", "0.00"),
        ("EO 14257 as amended by EO 14326 and EO 14345", "15.00"),
    ]
    assert {r["total_rate"] for r in rows} == {"15.00"}


def test_timeline_as_csv_has_a_row_per_period_and_component(client: CheckedClient) -> None:
    response = client.get(
        TIMELINE,
        {
            "importer": "CN",
            "origin": "US",
            "hs": "1201",
            "from": "2025-03-01",
            "to": "2025-03-20",
            "format": "csv",
        },
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["valid_from"], r["component_rate"], r["total_rate"]) for r in rows] == [
        ("2025-03-01", "", ""),  # Nothing applied: one row, base unknown.
        ("2025-03-10", "10.00", ""),
    ]

"""rates/effective/ and rates/timeline/ over HTTP."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.utils import timezone

from tests.api.conftest import CheckedClient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]


@pytest.fixture
def client() -> CheckedClient:
    """Every response of these tests is validated against the committed schema too."""
    return CheckedClient()


EFFECTIVE = "/api/v1/rates/effective/"
TIMELINE = "/api/v1/rates/timeline/"


def test_effective_rate_full_body(client: CheckedClient) -> None:
    response = client.get(
        EFFECTIVE, {"importer": "xa", "origin": "xb", "hs": "9503.00", "date": "2025-05-20"}
    )
    assert response.status_code == 200
    body = response.json()
    components = body.pop("components")
    assert body == {
        "importer": "XA",
        "origin": "XB",
        "hs": "950300",
        "date": "2025-05-20",
        "scenario": "in_force",
        "product": {
            "code": "950300",
            "description": "Tricycles, scooters, dolls, puzzles and scale models",
        },
        "claims": [],
        "base_rate": "0.00",
        "additional_rate": "30.00",
        "total_rate": "30.00",
        "complete": True,
        "warnings": [],
        "available_claims": [],
        # No shipment was described: no amounts; the synthetic importer XA has no currency
        # recorded (US, GB and EU do).
        "currency": None,
        "value": None,
        "quantity": None,
        "unit": None,
        "content_value": None,
        "duty_amount": None,
        "ad_valorem_equivalent": None,
    }
    fentanyl = components[1]
    del fentanyl["measure"], fentanyl["rate_id"]
    assert fentanyl == {
        "title": "XA emergency duty on XB raised to 20% (Order D-2)",
        "legal_basis": "ieepa",
        "instrument": "Order D-2",
        "program": "xa-drugs",
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
    assert [c["instrument"] for c in components] == [
        "Tariff schedule, general column",
        "Order D-2",
        "Order R-3",
    ]
    assert components[2]["agreement"] == "xa-xb-truce"


def test_timeline_periods(client: CheckedClient) -> None:
    response = client.get(
        TIMELINE,
        {
            "importer": "XA",
            "origin": "XB",
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
    params = {"importer": "XA", "origin": "XC", "hs": "950300", "date": "2025-10-01"}
    by_param = client.get(EFFECTIVE, {**params, "format": "csv"})
    by_header = client.get(EFFECTIVE, params, HTTP_ACCEPT="text/csv")
    for response in (by_param, by_header):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(by_param.content.decode())))
    assert [(r["component_instrument"], r["component_applied_rate"]) for r in rows] == [
        ("Tariff schedule, general column", "0.00"),
        ("Order R-4", "15.00"),
    ]
    assert {r["total_rate"] for r in rows} == {"15.00"}


def test_timeline_as_csv_has_a_row_per_period_and_component(client: CheckedClient) -> None:
    response = client.get(
        TIMELINE,
        {
            "importer": "XB",
            "origin": "XA",
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


@pytest.mark.parametrize(
    ("url", "params", "attr"),
    [
        (EFFECTIVE, {"origin": "XB", "hs": "95"}, "importer"),
        (EFFECTIVE, {"importer": "XA", "hs": "95"}, "origin"),
        (EFFECTIVE, {"importer": "XA", "origin": "XB"}, "hs"),
        (EFFECTIVE, {"importer": "USA", "origin": "XB", "hs": "95"}, "importer"),
        (EFFECTIVE, {"importer": "ZZ", "origin": "XB", "hs": "95"}, "importer"),
        (EFFECTIVE, {"importer": "XA", "origin": "Q1", "hs": "95"}, "origin"),
        (EFFECTIVE, {"importer": "XA", "origin": "XB", "hs": "9"}, "hs"),
        (EFFECTIVE, {"importer": "XA", "origin": "XB", "hs": "95a3"}, "hs"),
        (EFFECTIVE, {"importer": "XA", "origin": "XB", "hs": "12345678901"}, "hs"),
        (EFFECTIVE, {"importer": "XA", "origin": "XB", "hs": "95", "date": "2025-02-30"}, "date"),
        (
            EFFECTIVE,
            {"importer": "XA", "origin": "XB", "hs": "95", "scenario": "maybe"},
            "scenario",
        ),
        (TIMELINE, {"importer": "XA", "origin": "XB", "hs": "95", "to": "2025-01-01"}, "from"),
        (
            TIMELINE,
            {
                "importer": "XA",
                "origin": "XB",
                "hs": "95",
                "from": "1900-01-01",
                "to": "2025-01-01",
            },
            "to",
        ),
    ],
)
def test_bad_parameters_answer_400_naming_them(
    client: CheckedClient, url: str, params: dict[str, str], attr: str
) -> None:
    response = client.get(url, params)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert attr in [error["attr"] for error in body["errors"]]


def test_unknown_api_version_is_a_json_404(client: CheckedClient) -> None:
    response = client.get("/api/v2/rates/effective/", {"importer": "XA"})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("url", [EFFECTIVE, TIMELINE])
def test_query_count_is_fixed(
    client: CheckedClient, url: str, django_assert_max_num_queries: Any
) -> None:
    params = {"importer": "XA", "origin": "XG", "hs": "950300"}
    if url == EFFECTIVE:
        params |= {"date": "2025-10-01"}
    else:
        params |= {"from": "2025-01-01", "to": "2026-01-01"}
    # The engine's three, plus the data version read before and after computing
    # (tradeapi.api.caching); the repeat is answered from the cache after the first read.
    with django_assert_max_num_queries(3 + 2):
        assert client.get(url, params).status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get(url, params).status_code == 200


@pytest.mark.parametrize("end", ["2025-01-01", "2025-06-01"])
def test_a_timeline_that_does_not_move_forward_names_both_dates(
    client: CheckedClient, end: str
) -> None:
    params = {"importer": "XA", "origin": "XB", "hs": "95", "from": "2025-06-01", "to": end}
    response = client.get(TIMELINE, params)
    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {"code": "invalid", "detail": "`from` must be before `to`.", "attr": "from"},
            {"code": "invalid", "detail": "`to` must be after `from`.", "attr": "to"},
        ],
    }


def test_date_defaults_to_today(client: CheckedClient) -> None:
    params = {"importer": "XA", "origin": "XB", "hs": "950300"}
    response = client.get(EFFECTIVE, params)
    assert response.status_code == 200
    assert response.json()["date"] == timezone.localdate().isoformat()


def test_the_scenario_is_echoed(client: CheckedClient) -> None:
    params = {"importer": "XA", "origin": "XB", "hs": "950300", "date": "2025-05-20"}
    in_force = client.get(EFFECTIVE, params).json()
    announced = client.get(EFFECTIVE, {**params, "scenario": "announced"}).json()
    assert (in_force["scenario"], announced["scenario"]) == ("in_force", "announced")
    # The world has no announced periods, so only the echo differs.
    assert {**announced, "scenario": "in_force"} == in_force


def test_timeline_csv_by_accept_header_repeats_the_question_on_every_row(
    client: CheckedClient,
) -> None:
    params = {
        "importer": "XA",
        "origin": "XB",
        "hs": "950300",
        "from": "2025-05-01",
        "to": "2025-06-01",
    }
    response = client.get(TIMELINE, params, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    body = client.get(TIMELINE, params).json()
    expected = [
        (p["valid_from"], c["instrument"], c["applied_rate"], p["total_rate"])
        for p in body["periods"]
        for c in p["components"]
    ]
    assert [
        (r["valid_from"], r["component_instrument"], r["component_applied_rate"], r["total_rate"])
        for r in rows
    ] == expected
    assert {(r["importer"], r["origin"], r["hs"], r["from"], r["to"]) for r in rows} == {
        ("XA", "XB", "950300", "2025-05-01", "2025-06-01")
    }


@pytest.mark.parametrize(
    ("url", "dates"),
    [
        (EFFECTIVE, {"date": "9999-12-31"}),
        (EFFECTIVE, {"date": "0001-01-01"}),
        (TIMELINE, {"from": "9999-12-30", "to": "9999-12-31"}),
        (TIMELINE, {"from": "0001-01-01", "to": "0001-01-02"}),
    ],
)
def test_the_first_and_last_representable_dates_answer(
    client: CheckedClient, url: str, dates: dict[str, str]
) -> None:
    response = client.get(url, {"importer": "XA", "origin": "XB", "hs": "950300", **dates})
    assert response.status_code == 200
    body = response.json()
    periods = body["periods"] if url == TIMELINE else [body]
    # Only the open-ended MFN rate reaches year 9999; nothing is recorded for year 1.
    far_future = "9999-12-30" in dates.values() or "9999-12-31" in dates.values()
    assert [p["total_rate"] for p in periods] == ["0.00" if far_future else None]

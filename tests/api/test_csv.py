"""CSV for analysts: no live formulas, a record is one row, a list is paged visibly."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest

from agreements.models import Economy, Rate
from agreements.models.choices import EconomyKind
from tests.api.conftest import CheckedClient
from tests.engine.conftest import IMPORTER, ORIGIN, make_measure
from tradeapi.api import pagination
from tradeapi.api.renderers import CSVRenderer

pytestmark = pytest.mark.django_db
RATES = "/api/v1/rates/"
# OWASP's CSV-injection triggers, each as the start of a cell.
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.fixture
def economies(db: Any) -> None:
    for code in (IMPORTER, ORIGIN):
        Economy.objects.create(code=code, name=f"Test {code}", kind=EconomyKind.COUNTRY)


def rows(response: Any) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8", response.content
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_renderer_neutralises_formulas_and_leaves_numbers_alone() -> None:
    data = [
        {
            **{f"text{i}": value for i, value in enumerate(FORMULAS)},
            "rate": "-5.00",
            "plus": "+5",
            "number": Decimal("-5.00"),
            "integer": -3,
            "quoted": 'say "=1"',
            "=header": "x",
        }
    ]
    text = CSVRenderer().render(data).decode()
    (row,) = csv.DictReader(io.StringIO(text, newline=""))
    for i, value in enumerate(FORMULAS):
        assert row[f"text{i}"] == "'" + value
    assert row["rate"] == "-5.00"
    assert row["plus"] == "+5"
    assert row["number"] == "-5.00"
    assert row["integer"] == "-3"
    assert row["quoted"] == 'say "=1"'
    assert "'=header" in row


@pytest.mark.parametrize("formula", FORMULAS, ids=repr)
def test_rates_effective_and_timeline_csvs_carry_no_live_formula(
    anonymous: CheckedClient, economies: None, formula: str
) -> None:
    measure = make_measure(rates=[("10", "2025-01-01", None)])
    measure.title = formula
    measure.save()
    Rate.objects.filter(measure=measure).update(note=formula)

    listed = rows(anonymous.get(RATES, {"importer": IMPORTER, "format": "csv"}))
    assert [(r["title"], r["note"]) for r in listed] == [("'" + formula, "'" + formula)]
    assert listed[0]["rate"] == "10.00"

    question = {"importer": IMPORTER, "origin": ORIGIN, "hs": "950300", "format": "csv"}
    effective = rows(anonymous.get("/api/v1/rates/effective/", {**question, "date": "2025-05-01"}))
    timeline = rows(
        anonymous.get(
            "/api/v1/rates/timeline/", {**question, "from": "2025-01-01", "to": "2025-12-31"}
        )
    )
    for table in (effective, timeline):
        assert [r["component_title"] for r in table] == ["'" + formula]


def test_a_rate_as_csv_is_one_row_with_the_lists_columns(
    anonymous: CheckedClient, economies: None
) -> None:
    measure = make_measure(rates=[("12.5", "2025-01-01", "2026-01-01")])
    rate = measure.rates.get()
    listed = anonymous.get(RATES, {"importer": IMPORTER, "format": "csv"})
    detail = anonymous.get(f"{RATES}{rate.pk}/", {"format": "csv"})
    assert detail.status_code == 200
    assert rows(detail) == rows(listed)
    assert detail.content.decode().splitlines()[0] == listed.content.decode().splitlines()[0]
    (row,) = rows(detail)
    assert (row["id"], row["rate"], row["valid_to"]) == (str(rate.pk), "12.50", "2026-01-01")


def test_writes_answer_json_only(editor: CheckedClient, economies: None) -> None:
    measure = make_measure(rates=[])
    body = {"measure": measure.pk, "rate": "5.00", "valid_from": "2025-01-01"}
    by_header = editor.post(RATES, body, format="json", HTTP_ACCEPT="text/csv")
    assert by_header.status_code == 406
    assert by_header["Content-Type"] == "application/json"
    by_param = editor.post(f"{RATES}?format=csv", body, format="json")
    assert by_param.status_code == 400
    assert by_param.json()["errors"][0]["attr"] == "format"
    assert not Rate.objects.filter(measure=measure).exists()
    created = editor.post(RATES, body, format="json")
    assert created.status_code == 201
    assert created["Content-Type"] == "application/json"


def test_a_csv_list_is_paged_with_link_headers(anonymous: CheckedClient, economies: None) -> None:
    for year in range(2001, 2006):
        make_measure(rates=[("1", f"{year}-01-01", None)])
    params: dict[str, str] = {"importer": IMPORTER, "format": "csv", "page_size": "2"}

    first = anonymous.get(RATES, params)
    assert len(rows(first)) == 2
    assert first["X-Total-Count"] == "5"
    assert first["Link"].endswith('rel="next"')
    assert "page=2" in first["Link"]

    second = anonymous.get(RATES, {**params, "page": "2"})
    assert 'rel="next"' in second["Link"]
    assert 'rel="prev"' in second["Link"]

    last = anonymous.get(RATES, {**params, "page": "3"})
    assert len(rows(last)) == 1
    assert last["Link"].endswith('rel="prev"')
    assert 'rel="next"' not in last["Link"]

    every = anonymous.get(RATES, {**params, "all": "true"})
    assert len(rows(every)) == 5
    assert "Link" not in every
    assert every["X-Total-Count"] == "5"


def test_all_rows_is_capped_and_csv_only(
    anonymous: CheckedClient, economies: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for year in range(2001, 2004):
        make_measure(rates=[("1", f"{year}-01-01", None)])
    monkeypatch.setattr(pagination, "CSV_MAX_ROWS", 2)
    params = {"importer": IMPORTER, "all": "true"}
    over = anonymous.get(RATES, {**params, "format": "csv"})
    assert over.status_code == 400
    assert "3 rows match" in over.content.decode()
    as_json = anonymous.get(RATES, params)
    assert as_json.status_code == 400
    assert as_json.json()["errors"][0]["attr"] == "all"
    assert anonymous.get(RATES, {"all": "yes", "format": "csv"}).status_code == 400
    # A list without CSV ignores it, as any parameter it does not take.
    # A list without CSV does not know `all`: an unknown query parameter is a 400 naming it.
    unknown = anonymous.get("/api/v1/agreements/", {"all": "true"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["attr"] == "all"

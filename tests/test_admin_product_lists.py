"""The admin edits a measure's product scope as text: thousands of codes, one a line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agreements.models import Economy, Measure, Product, Source, TariffLine
from agreements.models.choices import EconomyKind, ProductLevel

pytestmark = pytest.mark.django_db

# Chapter 00 is not in the HS: these codes cannot collide with any real product.
CODES = ["00", "0001", "000111", "00011122"]


@pytest.fixture
def measure(db: Any) -> Measure:
    for code in ("XA", "XB"):
        Economy.objects.get_or_create(
            code=code, defaults={"name": f"Test {code}", "kind": EconomyKind.COUNTRY}
        )
    parent = None
    for code in CODES:
        level = {2: ProductLevel.CHAPTER, 4: ProductLevel.HEADING, 6: ProductLevel.SUBHEADING}
        parent = Product.objects.create(
            code=code,
            level=level.get(len(code), ProductLevel.NATIONAL),
            description=f"Test goods {code}",
            parent=parent,
        )
    source = Source.objects.create(title="Test act", url="https://example.org/act", publisher="X")
    measure = Measure.objects.create(
        slug="test-scope",
        title="Test scope",
        importer_id="XA",
        origin_id="XB",
        legal_basis="other",
        instrument="Test act",
        program="test-scope",
        kind="additional",
    )
    measure.sources.add(source)
    measure.products.set(Product.objects.filter(code__in=["0001", "000111"]))
    return measure


def change_url(measure: Measure) -> str:
    return reverse("admin:agreements_measure_change", args=[measure.pk])


def post_data(measure: Measure, **fields: Any) -> dict[str, Any]:
    return {
        "slug": measure.slug,
        "title": measure.title,
        "importer": measure.importer_id,
        "origin": measure.origin_id or "",
        "legal_basis": measure.legal_basis,
        "instrument": measure.instrument,
        "program": measure.program,
        "kind": measure.kind,
        "claim": "",
        "waived_by": "",
        "yields_to": "",
        "basis": "value",
        "note": "",
        "sources": list(measure.sources.values_list("pk", flat=True)),
        "products": "",
        "excluded_products": "",
        "rates-TOTAL_FORMS": "0",
        "rates-INITIAL_FORMS": "0",
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        **fields,
    }


def test_the_scope_is_shown_as_codes_one_a_line(admin_client: Client, measure: Measure) -> None:
    page = admin_client.get(change_url(measure))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form["products"].value() == "0001\n000111"
    html = page.content.decode()
    assert "<textarea" in html
    # A text box, not a select listing every product.
    assert 'value="0001" selected' not in html


def test_codes_round_trip_from_text(admin_client: Client, measure: Measure) -> None:
    # Dots, commas, blank lines and repeats as staff paste them from the HTS notes, whose
    # columns of codes are separated by spaces.
    text = "0001.11.22, 000111\n\n00\n0001.11.22"
    response = admin_client.post(
        change_url(measure), post_data(measure, products=text, excluded_products="0001.11")
    )
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    measure.refresh_from_db()
    assert sorted(measure.products.values_list("code", flat=True)) == ["00", "000111", "00011122"]
    assert list(measure.excluded_products.values_list("code", flat=True)) == ["000111"]
    # The change of scope is in the audit history, with the set it left.
    latest = measure.history.latest()  # type: ignore[attr-defined]
    assert sorted(latest.products.values_list("product_id", flat=True)) == [
        "00",
        "000111",
        "00011122",
    ]
    # Shown back as saved, and saving it unchanged changes nothing.
    again = admin_client.get(change_url(measure)).context["adminform"].form
    assert again["products"].value() == "00\n000111\n00011122"
    admin_client.post(
        change_url(measure),
        post_data(measure, products=again["products"].value(), excluded_products="000111"),
    )
    assert sorted(measure.products.values_list("code", flat=True)) == ["00", "000111", "00011122"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0001\n12ab", "Not an HS code (2 to 10 digits, dots allowed): 12ab."),
        ("0001, 1", "Not an HS code (2 to 10 digits, dots allowed): 1."),
        ("0001 00029", "Not a code of the HS nomenclature or of an importer's tariff: 00029."),
    ],
)
def test_a_bad_code_is_a_form_error_and_nothing_changes(
    admin_client: Client, measure: Measure, text: str, message: str
) -> None:
    response = admin_client.post(change_url(measure), post_data(measure, products=text))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["products"] == [message]
    assert sorted(measure.products.values_list("code", flat=True)) == ["0001", "000111"]
    # The text comes back as typed, to be corrected.
    assert response.context["adminform"].form["products"].value() == text


def test_a_line_of_a_tariff_gets_its_product_row(admin_client: Client, measure: Measure) -> None:
    source = Source.objects.get(url="https://example.org/act")
    line = TariffLine.objects.create(
        importer_id="XA",
        code="0001112233",
        description="Test goods: of a national line",
        valid_from=dt.date(2026, 1, 1),
        edition="Test edition",
    )
    line.sources.add(source)
    response = admin_client.post(change_url(measure), post_data(measure, products="0001112233"))
    assert response.status_code == 302
    product = Product.objects.get(code="0001112233")
    assert (product.level, product.parent_id) == (ProductLevel.NATIONAL, "00011122")
    assert product.description == "Test goods: of a national line"
    assert list(measure.products.values_list("code", flat=True)) == ["0001112233"]


def test_filters_offer_only_values_in_use(admin_client: Client, measure: Measure) -> None:
    page = admin_client.get(reverse("admin:agreements_measure_changelist"))
    assert page.status_code == 200
    changelist = page.context["cl"]
    filters = {
        spec.title: [choice["display"] for choice in spec.choices(changelist)]
        for spec in changelist.filter_specs
    }
    used_bases = set(Measure.objects.values_list("legal_basis", flat=True))
    assert len(filters["legal basis"]) == len(used_bases) + 1  # "All" and those in use.
    assert "Other" in filters["legal basis"]
    assert "XB Test XB" in filters["origin"]
    assert "XA Test XA" not in filters["origin"]  # XA levies the test measure, no measure faces it.
    # An HS code a measure names finds it.
    found = admin_client.get(reverse("admin:agreements_measure_changelist"), {"q": "000111"})
    assert measure in found.context["cl"].result_list

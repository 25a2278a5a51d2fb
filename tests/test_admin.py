"""The admin: every page renders and saves, and bad entries are form errors, never 500s."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from agreements.models import (
    BlocMembership,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
    TariffLine,
)
from agreements.models.history import TRACKED
from tests import factories
from tests.factories import CHANGE_REASON, GLOBAL_MEASURE, ORIGIN_MEASURE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]
MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
APP_MODELS = [model for model in MODELS if model._meta.app_label == "agreements"]
# Tariff lines are loaded from the official schedules and not audited (models/history.py).
AUDITED_MODELS = [model for model in APP_MODELS if model in TRACKED]


@pytest.fixture(autouse=True)
def _a_tariff_line() -> None:
    """The session's seed leaves the official schedules out (they are slow to load); one line
    gives the tariff-line pages a row to render."""
    line, _ = TariffLine.objects.get_or_create(
        importer=factories.economy("XA"),
        code="0101300000",
        valid_from="2026-01-01",
        defaults={
            "description": "Live horses, asses, mules and hinnies: Asses",
            "general": "6.8%",
            "edition": "HTS 2026 Basic Edition",
        },
    )
    line.sources.add(Source.objects.order_by("pk")[0])


def url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response: Any) -> dict[str, Any]:
    """The POST body a browser would send back for the change form as rendered."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[key] = [v.pk if isinstance(v, Model) else v for v in value]
            elif field.widget.__class__.__name__ == "SplitDateTimeWidget":
                continue
            else:
                data[key] = value
    return data


def test_every_app_model_is_registered() -> None:
    from django.apps import apps

    registered = set(APP_MODELS)
    # Historical tables are not edited: each record's History page in the admin shows them.
    audited = {
        m
        for m in apps.get_app_config("agreements").get_models()
        if not m.__name__.startswith("Historical")
    }
    assert audited == registered


@pytest.mark.parametrize("model", APP_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_add_and_change_pages_render_and_save(
    admin_client: Client, model: type[Model]
) -> None:
    instance = model._default_manager.order_by("pk").first()
    assert instance is not None, "the world has a row of every model"

    changelist = admin_client.get(url(model, "changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(url(model, "changelist"), {"q": "a"}).status_code == 200
    assert admin_client.get(url(model, "add")).status_code == 200

    change = admin_client.get(url(model, "change", instance.pk))
    assert change.status_code == 200
    saved = admin_client.post(url(model, "change", instance.pk), form_data(change))
    errors = saved.context and saved.context["adminform"].form.errors
    assert saved.status_code == 302, errors


def test_changelists_use_a_bounded_number_of_queries(
    admin_client: Client, django_assert_max_num_queries: Any
) -> None:
    for model in APP_MODELS:
        with django_assert_max_num_queries(15):
            admin_client.get(url(model, "changelist"))


def test_agreement_list_shows_status_and_expiry_as_of_today(admin_client: Client) -> None:
    page = admin_client.get(url(NegotiationRound, "changelist")).content.decode()
    assert "Alphaville" in page
    agreements = admin_client.get(reverse("admin:agreements_agreement_changelist"))
    content = agreements.content.decode()
    assert "Status today" in content
    assert "Expired" in content  # The world's quiet deal ran to the end of 2025.


def rate_row(
    prefix: str, rate: str, start: str, end: str = "", status: str = "in_force"
) -> dict[str, str]:
    return {
        f"{prefix}-rate": rate,
        f"{prefix}-valid_from": start,
        f"{prefix}-valid_to": end,
        f"{prefix}-status": status,
        f"{prefix}-note": "",
    }


def measure_post(**rows: str) -> dict[str, Any]:
    return {
        "slug": "test-admin-measure",
        "title": "Test measure",
        "importer": "XA",
        "origin": "XB",
        "legal_basis": "section_301",
        "instrument": "Test act",
        "program": "test",
        "kind": "additional",
        # What the form shows for a new measure: nothing waives it, it gives way to nothing.
        "basis": "value",
        "waived_by": "",
        "yields_to": "",
        "sources": list(
            Measure.objects.get(slug="xa-drugs-xb-order-1").sources.values_list("pk", flat=True)
        ),
        "rates-TOTAL_FORMS": str(len({k.split("-")[1] for k in rows})),
        "rates-INITIAL_FORMS": "0",
        "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        **rows,
    }


def test_a_measure_with_its_rates_is_added(admin_client: Client) -> None:
    rows = {
        **rate_row("rates-0", "10", "2025-01-01", "2025-06-01"),
        **rate_row("rates-1", "20", "2025-06-01"),
    }
    response = admin_client.post(url(Measure, "add"), measure_post(**rows))
    assert response.status_code == 302
    assert list(
        Rate.objects.filter(measure__slug="test-admin-measure").values_list("rate", flat=True)
    ) == [10, 20]


def test_overlapping_periods_in_one_submission_are_a_form_error(admin_client: Client) -> None:
    rows = {
        **rate_row("rates-0", "10", "2025-01-01", "2025-06-01"),
        **rate_row("rates-1", "20", "2025-05-01"),
    }
    response = admin_client.post(url(Measure, "add"), measure_post(**rows))
    assert response.status_code == 200
    assert "Overlaps the in-force period 2025-01-01 to 2025-06-01" in response.content.decode()
    assert not Measure.objects.filter(slug="test-admin-measure").exists()


CYCLE = "programs would yield to each other in a cycle: xa-b -&gt; xa-a -&gt; xa-b"


def test_a_yield_that_closes_a_cycle_is_a_form_error(admin_client: Client) -> None:
    factories.measure("xa-a-measure", program="xa-a", yields_to=["xa-b"],
                      rates=[("10", "2025-01-01", None)])  # fmt: skip
    measure = factories.measure(
        "xa-b-measure",
        program="xa-b",
        rates=[("5", "2025-02-01", None)],
        sources=[Source.objects.order_by("pk")[0]],
    )
    data = form_data(admin_client.get(url(Measure, "change", measure.pk)))
    response = admin_client.post(url(Measure, "change", measure.pk), {**data, "yields_to": "xa-a"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["yields_to"]
    assert CYCLE in response.content.decode()
    measure.refresh_from_db()
    assert measure.yields_to == []


def test_a_new_measure_whose_periods_close_a_cycle_is_a_form_error(admin_client: Client) -> None:
    factories.measure("xa-a-measure", program="xa-a", yields_to=["xa-b"],
                      rates=[("10", "2025-01-01", None)])  # fmt: skip
    post = measure_post(**rate_row("rates-0", "10", "2025-03-01"))
    response = admin_client.post(
        url(Measure, "add"), {**post, "program": "xa-b", "yields_to": "xa-a"}
    )
    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert list(inline.formset.errors[0]) == ["valid_from"]
    assert CYCLE in response.content.decode()
    assert not Measure.objects.filter(slug="test-admin-measure").exists()


def test_a_period_overlapping_a_saved_one_is_a_form_error(admin_client: Client) -> None:
    measure = Measure.objects.get(slug=ORIGIN_MEASURE)
    existing = measure.rates.get()
    response = admin_client.post(
        url(Rate, "add"),
        {"measure": measure.pk, "rate": "5", "valid_from": "2025-05-01", "status": "in_force"},
    )
    assert response.status_code == 200
    assert f"id {existing.pk}" in response.content.decode()
    assert measure.rates.count() == 1


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (Rate, {"rate": "-1", "valid_from": "2030-01-01", "status": "in_force"}, "rate"),
        (
            Rate,
            {
                "rate": "5",
                "valid_from": "2030-01-01",
                "valid_to": "2029-01-01",
                "status": "in_force",
            },
            "valid_to",
        ),
        (Product, {"code": "95ab", "level": "heading", "description": "x"}, "code"),
        (Product, {"code": "95031", "level": "heading", "description": "x"}, None),
        (
            BlocMembership,
            {"bloc": "XE", "member": "XH", "joined_on": "2030-01-01", "left_on": "2029-01-01"},
            None,
        ),
    ],
)
def test_bad_entries_are_form_errors_and_write_nothing(
    admin_client: Client, model: type[Model], data: dict[str, Any], field: str | None
) -> None:
    if model is Rate:
        data = {**data, "measure": Measure.objects.get(slug=GLOBAL_MEASURE).pk}
    before = model._default_manager.count()
    response = admin_client.post(url(model, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors
    if field is not None:
        assert field in errors
    assert model._default_manager.count() == before


def test_an_impossible_date_is_the_admins_own_form_error(admin_client: Client) -> None:
    # The API's date reading (tradeapi.api.dates) is for API clients; staff keep Django's
    # date widget and its message, and an impossible date is refused there as any other.
    measure = Measure.objects.get(slug=GLOBAL_MEASURE)
    response = admin_client.post(
        url(Rate, "add"),
        {"measure": measure.pk, "rate": "5", "valid_from": "2025-02-30", "status": "in_force"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"valid_from": ["Enter a valid date."]}
    assert measure.rates.count() == 1


def test_a_round_ending_before_it_starts_is_a_form_error(admin_client: Client) -> None:
    response = admin_client.post(
        url(NegotiationRound, "add"),
        {
            "title": "Backwards",
            "city": "Alphaville",
            "venue_country": "XF",
            "start_date": "2025-05-11",
            "end_date": "2025-05-10",
            "status": "held",
            "parties": ["XA", "XB"],
            "sources": [1],
            "delegates-TOTAL_FORMS": "0",
            "delegates-INITIAL_FORMS": "0",
            "delegates-MIN_NUM_FORMS": "0",
            "delegates-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not NegotiationRound.objects.filter(title="Backwards").exists()


def test_the_admin_asks_the_engine_for_the_effective_duty(admin_client: Client) -> None:
    page = admin_client.get(
        reverse("admin:agreements_rate_effective"),
        {
            "importer": "xa",
            "origin": "xb",
            "hs": "9503.00",
            "date": "2025-04-10",
            "scenario": "in_force",
        },
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert "XA reciprocal rate for XB: 125% (Order R-2)" in content
    assert "total 145.00" in content


def test_the_admin_calculator_reports_bad_input_as_form_errors(admin_client: Client) -> None:
    page = admin_client.get(
        reverse("admin:agreements_rate_effective"),
        {
            "importer": "ZZ",
            "origin": "xb",
            "hs": "95x",
            "date": "2025-04-10",
            "scenario": "in_force",
        },
    )
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert set(errors) == {"hs"}
    page = admin_client.get(
        reverse("admin:agreements_rate_effective"),
        {
            "importer": "ZZ",
            "origin": "xb",
            "hs": "95",
            "date": "2025-04-10",
            "scenario": "in_force",
        },
    )
    assert "Unknown economy code" in page.content.decode()


def test_the_admin_calculator_needs_staff(client: Client) -> None:
    response = client.get(reverse("admin:agreements_rate_effective"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("model", AUDITED_MODELS, ids=lambda m: m._meta.model_name)
def test_every_record_shows_its_history(admin_client: Client, model: type[Model]) -> None:
    instance = model._default_manager.order_by("pk").first()
    assert instance is not None
    response = admin_client.get(url(model, "history", instance.pk))
    assert response.status_code == 200
    # The world's creation of the record is listed, with its reason (simple-history's view).
    assert CHANGE_REASON.encode() in response.content

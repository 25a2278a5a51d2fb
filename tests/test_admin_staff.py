"""The admin as staff who are not programmers read it: values they look for in the lists,
filters with only the values in use, rates in percent, period ends in words, plain help
texts, and the duty calculator one click away."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from agreements.models import Economy, Measure
from agreements.models.choices import EconomyKind
from tests.engine.conftest import make_measure

pytestmark = pytest.mark.django_db
CALCULATOR = reverse("admin:agreements_rate_effective")
APP_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "agreements"),
    key=lambda model: model._meta.label,
)
# What staff should not have to read: `code`, snake_case names, null.
CODE_WORDS = re.compile(r"`|\b[a-z]+_[a-z_]+\b|\bnull\b")


@pytest.fixture
def twins(db: Any) -> tuple[Measure, Measure]:
    """Two measures of one importer with the same title, on two origins."""
    for code in ("XA", "XB", "XC", "XD"):
        Economy.objects.create(code=code, name=f"Test {code}", kind=EconomyKind.COUNTRY)
    first = make_measure(importer="XA", origin="XB", rates=[("12.5", "2025-01-01", "2025-07-01")])
    second = make_measure(importer="XA", origin="XC", rates=[("30", "2025-02-01", None)])
    Measure.objects.filter(pk__in=[first.pk, second.pk]).update(title="Twin duty")
    first.refresh_from_db()
    second.refresh_from_db()
    return first, second


def changelist(client: Client, model: str, **params: str) -> Any:
    response = client.get(reverse(f"admin:agreements_{model}_changelist"), params)
    assert response.status_code == 200
    return response


def test_the_rate_list_shows_rate_dates_status_and_tells_twins_apart(
    admin_client: Client, twins: tuple[Measure, Measure]
) -> None:
    first, second = twins
    page = changelist(admin_client, "rate", q="Twin duty").content.decode()
    assert "12.50\u00a0%" in page
    assert "30.00\u00a0%" in page
    assert "until (not including)" in page.lower()
    assert "2025-07-01" in page
    assert "no end" in page
    assert "In force" in page
    assert "in_force" not in re.sub(r"<[^>]*>", " ", page)  # in words wherever staff read
    # Same title, told apart by the slug and by the origin.
    assert first.slug in page
    assert second.slug in page
    assert "XA ← XB" in page
    assert "XA ← XC" in page


def test_the_measure_list_shows_the_rate_in_force_today_and_the_slug(
    admin_client: Client, twins: tuple[Measure, Measure]
) -> None:
    page = changelist(admin_client, "measure", q="Twin duty").content.decode()
    assert "30.00\u00a0%" in page
    assert twins[0].slug in page
    assert "rate in force today" in page.lower()


@pytest.mark.parametrize(
    ("model", "parameter", "in_use"),
    [
        ("measure", "importer__code__exact", lambda: Measure.objects.values("importer")),
        ("measure", "origin__code__exact", lambda: Measure.objects.values("origin")),
        ("rate", "measure__importer__code__exact", lambda: Measure.objects.values("importer")),
    ],
)
def test_economy_filters_offer_only_the_economies_in_use(
    admin_client: Client, twins: Any, model: str, parameter: str, in_use: Any
) -> None:
    # A second importer, so each filter has a choice to offer (one value shows no filter).
    make_measure(importer="XC", origin="XA", rates=[("5", "2025-01-01", None)])
    response = changelist(admin_client, model)
    (spec,) = [
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "lookup_kwarg", None) == parameter
    ]
    offered = {str(pk) for pk, _ in spec.lookup_choices}
    used = {row[key] for row in in_use() for key in row if row[key] is not None}
    assert offered == used
    assert "XD" not in offered  # an economy no measure names


@pytest.mark.parametrize("model", APP_MODELS, ids=lambda m: m._meta.model_name)
def test_help_texts_are_plain_words(admin_client: Client, model: type[Model]) -> None:
    response = admin_client.get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    )
    forms = [response.context["adminform"].form]
    forms += [inline.formset.empty_form for inline in response.context["inline_admin_formsets"]]
    for form in forms:
        for name, field in form.fields.items():
            assert not CODE_WORDS.search(str(field.help_text)), (name, field.help_text)


def test_rate_fields_are_labelled_in_percent_and_until_not_including(
    admin_client: Client, twins: tuple[Measure, Measure]
) -> None:
    page = admin_client.get(
        reverse("admin:agreements_measure_change", args=[twins[0].pk])
    ).content.decode()
    assert "Rate (%)" in page
    assert "Until (not including)" in page


def test_the_calculator_is_linked_from_the_home_and_each_measure(
    admin_client: Client, twins: tuple[Measure, Measure]
) -> None:
    home = admin_client.get(reverse("admin:index")).content.decode()
    assert f'href="{CALCULATOR}"' in home
    measure = admin_client.get(
        reverse("admin:agreements_measure_change", args=[twins[0].pk])
    ).content.decode()
    link = re.search(rf'href="{re.escape(CALCULATOR)}\?([^"]+)"', measure)
    assert link is not None
    query = link.group(1).replace("&amp;", "&")
    assert "importer=XA" in query
    assert "origin=XB" in query
    # The measure covers all goods, so staff complete the HS code: the form is filled in,
    # not answered with errors.
    answer = admin_client.get(f"{CALCULATOR}?{query}")
    assert answer.status_code == 200
    form = answer.context["form"]
    assert not form.is_bound
    assert (form.initial["importer"], form.initial["origin"]) == ("XA", "XB")


def test_the_calculator_answers_in_percent_with_kinds_in_words(
    admin_client: Client, twins: tuple[Measure, Measure]
) -> None:
    page = admin_client.get(
        CALCULATOR,
        {
            "importer": "XA",
            "origin": "XB",
            "hs": "950300",
            "date": "2025-03-01",
            "scenario": "in_force",
        },
    ).content.decode()
    assert "12.50 %" in page
    assert "Additional duty" in page
    assert "2025-07-01" in page or "July 1, 2025" in page
    assert "in_force" not in page.split("<select")[0]

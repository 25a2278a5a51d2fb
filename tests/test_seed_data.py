"""`manage.py seed_data`: complete reference data, idempotent, and honest about what it did."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from agreements.models import BlocMembership, Economy, Measure, Product, Rate, Source
from agreements.models.choices import EconomyKind

pytestmark = pytest.mark.django_db


def run_seed() -> str:
    out = StringIO()
    # The schedules have their own tests (tests/tariffs): loading them here would be slow.
    call_command("seed_data", "--no-schedules", stdout=out)
    return out.getvalue()


def test_a_second_run_changes_nothing_and_says_so() -> None:
    output = run_seed()
    assert "Nothing changed: all 7,509 records were up to date." in output
    assert " 0 created" in output
    assert " 1 created" not in output


def test_a_run_restores_what_is_missing_and_reverts_edits() -> None:
    Measure.objects.filter(slug="us-ieepa-fentanyl-eo14195").delete()
    Rate.objects.filter(measure__slug="us-ieepa-reciprocal-cn-eo14266").update(rate=99)

    output = run_seed()

    assert "Seed data loaded." in output
    assert "measures:     1 created,     0 updated,    45 unchanged" in output
    assert "rates:     1 created,     1 updated,    52 unchanged" in output
    assert Rate.objects.get(measure__slug="us-ieepa-reciprocal-cn-eo14266").rate == 125


def test_records_staff_added_are_left_alone() -> None:
    source = Source.objects.create(
        title="Staff note", url="https://example.org/staff", publisher="Staff"
    )
    run_seed()
    assert Source.objects.filter(pk=source.pk).exists()


def test_every_iso_country_and_the_eu() -> None:
    assert Economy.objects.filter(kind=EconomyKind.COUNTRY).count() == 249
    assert Economy.objects.get(code="EU").kind == EconomyKind.BLOC
    assert Economy.objects.get(code="TW").name == "Taiwan"


@pytest.mark.parametrize(
    ("on", "expected_members"),
    [
        (dt.date(2025, 6, 1), 27),
        (dt.date(2019, 6, 1), 28),
        (dt.date(2020, 1, 31), 28),  # The UK's last day as a member.
        (dt.date(2020, 2, 1), 27),
        (dt.date(2013, 6, 30), 27),  # The day before Croatia joined.
    ],
)
def test_eu_membership_is_dated(on: dt.date, expected_members: int) -> None:
    current = BlocMembership.objects.on(on).filter(bloc_id="EU")
    assert current.values("member_id").distinct().count() == expected_members


def test_memberships_follow_the_uk_leaving() -> None:
    def blocs(code: str, on: dt.date) -> list[str]:
        return list(
            BlocMembership.objects.on(on).filter(member_id=code).values_list("bloc_id", flat=True)
        )

    assert blocs("GB", dt.date(2019, 6, 1)) == ["EU"]
    assert blocs("GB", dt.date(2025, 6, 1)) == []
    assert blocs("DE", dt.date(2025, 6, 1)) == ["EU"]


def test_hs_nomenclature_is_loaded_with_its_hierarchy() -> None:
    assert Product.objects.filter(level="chapter").count() == 97
    assert Product.objects.filter(level="heading").count() == 1229
    assert Product.objects.filter(level="subheading").count() == 5613
    toys = Product.objects.select_related("parent__parent").get(code="950300")
    assert toys.parent is not None
    assert toys.parent.code == "9503"
    assert toys.parent.parent is not None
    assert toys.parent.parent.code == "95"
    assert toys.parent.parent.parent_id is None

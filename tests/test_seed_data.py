"""`manage.py seed_data`: complete reference data, idempotent, and honest about what it did."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from agreements import audit
from agreements.models import BlocMembership, Economy, Measure, Product, Rate, Source
from agreements.models.choices import EconomyKind

# Reads the shipped data: runs last, on the seeded database (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.facts]


def run_seed() -> str:
    out = StringIO()
    # The schedules have their own tests (tests/tariffs): loading them here would be slow.
    call_command("seed_data", "--no-schedules", stdout=out)
    return out.getvalue()


def test_a_second_run_changes_nothing_and_says_so() -> None:
    output = run_seed()
    assert re.search(r"Nothing changed: all [0-9,]+ records were up to date\.", output)
    assert re.findall(r"([0-9]+) (?:created|updated|deleted)", output)
    assert set(re.findall(r"([0-9]+) (?:created|updated|deleted)", output)) == {"0"}


def test_a_run_restores_what_is_missing_and_reverts_edits() -> None:
    measures, rates = Measure.objects.count(), Rate.objects.count()
    Measure.objects.filter(slug="us-ieepa-fentanyl-cn").delete()  # two periods
    Rate.objects.filter(measure__slug="us-ieepa-reciprocal-cn-2025-04", rate=125).update(rate=99)
    list4a = Measure.objects.get(slug="us-s301-china-list4a")
    list4a.products.remove(Product.objects.get(code="61091000"))

    output = run_seed()

    assert "Seed data loaded." in output
    assert re.search(rf"measures: +1 created, +1 updated, +{measures - 2} unchanged", output)
    assert re.search(rf"rates: +2 created, +1 updated, +{rates - 3} unchanged", output)
    assert Rate.objects.filter(measure__slug="us-ieepa-reciprocal-cn-2025-04", rate=125).exists()
    assert list4a.products.filter(code="61091000").exists()
    # The change of scope alone is audited like a save, with the restored set.
    record = list4a.history.latest()  # type: ignore[attr-defined]
    assert record.history_type == "~"
    assert record.products.filter(product_id="61091000").exists()


def test_measures_the_us_files_supersede_are_retired() -> None:
    # Written from news reports before the primary-text files; a reseed deletes them.
    old = Measure.objects.create(
        slug="us-s301-cn-semiconductors-50",
        title="old",
        importer_id="US",
        origin_id="CN",
        legal_basis="section_301",
        instrument="old",
        program="us-s301-china-tech",
        kind="additional",
    )
    output = run_seed()
    assert re.search(r"measures: .* 1 deleted", output)
    assert not Measure.objects.filter(pk=old.pk).exists()


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


def test_the_loader_command_is_audited_with_its_reason() -> None:
    measure = Measure.objects.get(slug="cn-countermeasure-no4-10")
    measure.title = "Changed by hand"
    measure.save()
    start = timezone.now()
    # As the session seeded it (tests/conftest.py): without the official schedules.
    call_command("seed_data", "--no-schedules", verbosity=0)  # Puts the fixture's title back.
    changes = audit.changes(since=start, limit=100)
    assert [(c.model, c.object_key, c.action, c.changed_fields, c.reason) for c in changes] == [
        ("measure", str(measure.pk), "updated", ["title"], "seed_data")
    ]


def test_the_seeded_database_has_a_full_history() -> None:
    for model in (Measure, Rate, Source):
        created = getattr(model, "history").filter(history_type="+").count()  # noqa: B009
        assert created == model.objects.count() > 0

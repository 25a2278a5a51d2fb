"""The Special column's preferential base measures, generated in the HTS import's pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from agreements.engine import effective_rate
from agreements.engine.results import Shipment
from agreements.models import Measure
from agreements.tariffs import preferences
from agreements.tariffs.imports import import_hts
from tests.tariffs.test_imports import hts_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_economies_and_nomenclature")]
D = dt.date

ROWS = [
    ["0201", "0", "Meat of bovine animals, fresh or chilled:", "", "", "", ""],
    ["0201.10.05", "1", "Carcasses", "", "4.4¢/kg", "Free (A+,AU,KR,S,SG)", "13.2¢/kg"],
    ["0201.10.10", "1", "Other carcasses", "", "4.4¢/kg", "Free (A+,AU,KR,S, SG)", "13.2¢/kg"],
    ["0402.29.50", "1", "Milk", "", "$1.104/kg + 14.9%", "Free (KR) 10% (AU)", "$1.5/kg"],
]


@pytest.fixture
def imported(tmp_path: Path) -> None:
    import_hts(
        path=hts_file(tmp_path, ROWS),
        edition="Test Edition",
        valid_from=D(2025, 1, 1),
        valid_to=D(2026, 1, 1),
    )


def test_each_sourced_indicator_gets_a_measure_per_duty_and_partner(imported: None) -> None:
    generated = Measure.objects.filter(slug__startswith=preferences.SLUG_PREFIX)
    summary = sorted(
        (m.claim, m.origin_id, m.rates.get().expression, sorted(p.code for p in m.products.all()))
        for m in generated
    )
    assert summary == [
        ("AU", "AU", "10%", ["04022950"]),
        ("AU", "AU", "Free", ["02011005", "02011010"]),
        ("KR", "KR", "Free", ["02011005", "02011010", "04022950"]),
        ("S", "CA", "Free", ["02011005", "02011010"]),
        ("S", "MX", "Free", ["02011005", "02011010"]),
    ]
    # GSP (A+) and SG have no sourced partners: nothing claims them.
    assert not generated.filter(claim__in=["A+", "SG"]).exists()
    measure = generated.get(claim="KR")
    assert (measure.kind, measure.legal_basis, measure.program) == (
        "base",
        "preferential",
        "us-pref-kr",
    )
    assert "general note 33" in measure.note


def test_a_claim_prices_the_preference_and_a_lapsed_program_changes_nothing(
    imported: None,
) -> None:
    def duty(origin: str, claims: tuple[str, ...]) -> Decimal | None:
        return effective_rate(
            importer="US",
            origin=origin,
            hs="0402295000",
            on=D(2025, 9, 15),
            claims=claims,
            shipment=Shipment(value=Decimal("10000"), quantity=Decimal("1000"), unit="kg"),
        ).duty.duty_amount

    # General "$1.104/kg + 14.9%": 1,000 x 1.104 + 14.9% x 10,000 = 1,104 + 1,490 = 2,594.
    # (The test database's other US measures on this code, if any, add the same to each.)
    base = duty("KR", ())
    assert base is not None
    assert duty("KR", ("KR",)) == base - Decimal("2594.00")
    # AU's Special duty is 10%: 1,000.00 instead of 2,594.00.
    assert duty("AU", ("AU",)) == duty("AU", ()) - Decimal("1594.00")  # type: ignore[operator]
    # A+ (GSP) is printed but lapsed: claiming it changes nothing; nor does KR from AU.
    assert duty("AU", ("A+",)) == duty("AU", ())
    assert duty("AU", ("KR",)) == duty("AU", ())

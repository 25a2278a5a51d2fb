"""Duty for a shipment on the shipped data: the HTS 2025 edition's own duties and the
preferences generated from its Special column, loaded from fixtures/ as seed_data loads them
(the slow test of this package: one import of the edition)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from agreements.engine import effective_rate
from agreements.engine.results import Shipment
from agreements.models import Measure
from agreements.tariffs.imports import import_hts

pytestmark = [pytest.mark.django_db, pytest.mark.facts]
ON = dt.date(2025, 9, 15)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load_2025() -> None:
    if connection.vendor == "postgresql":
        # The edition's ~27,000 lines are written inside the test's transaction, and at its
        # end Django checks every deferred foreign key of them at once: on a busy machine
        # that took longer than the service's 15 s statement timeout. This transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '120s'")
    import_hts(
        path=FIXTURES / "us/hts_2025_basic_edition.csv.gz",
        edition="HTS 2025 Basic Edition",
        valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2026, 1, 1),
    )


def by_program(result: object) -> dict[str, Decimal | None]:
    return {c.program: c.duty_amount for c in result.duty.components}  # type: ignore[attr-defined]


def test_beef_from_australia_by_the_kilogram_and_its_fta_claim() -> None:
    load_2025()
    # The Special column's sourced indicators, one measure per duty text and partner.
    claims = set(
        Measure.objects.filter(slug__startswith="us-pref-").values_list("claim", flat=True)
    )
    assert claims == {"AU", "CL", "CO", "IL", "KR", "MA", "PA", "PE", "S", "S+"}
    # HTS 0201.10.05: General "4.4¢/kg", Special "Free (A+,AU,...)".
    shipment = Shipment(value=Decimal("5000.00"), quantity=Decimal("1000"), unit="kg")
    plain = effective_rate(importer="US", origin="AU", hs="02011005", on=ON, shipment=shipment)
    # 1,000 kg x $0.044 = $44.00.
    assert by_program(plain)["us-mfn"] == Decimal("44.00")
    offer = next(o for o in plain.available_claims if o.claim == "AU")
    assert offer.saving == Decimal("44.00")
    claimed = effective_rate(
        importer="US", origin="AU", hs="02011005", on=ON, shipment=shipment, claims=("AU",)
    )
    amounts = by_program(claimed)
    assert amounts.pop("us-pref-au") == Decimal("0.00")
    # The FTA lowers the base only: every other duty is the same as without the claim.
    assert amounts == {k: v for k, v in by_program(plain).items() if k != "us-mfn"}
    assert claimed.duty.duty_amount == plain.duty.duty_amount - Decimal("44.00")  # type: ignore[operator]

    # GSP (A+ on this line) lapsed: claiming it from India gives nothing, and it is not
    # offered; the MFN duty stands.
    india = effective_rate(importer="US", origin="IN", hs="02011005", on=ON, shipment=shipment)
    gsp = effective_rate(
        importer="US", origin="IN", hs="02011005", on=ON, shipment=shipment, claims=("A+",)
    )
    assert gsp.duty == india.duty
    assert by_program(india)["us-mfn"] == Decimal("44.00")
    assert "A+" not in {o.claim for o in india.available_claims}

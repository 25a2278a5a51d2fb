"""Every invariant lives in the database: raw writes that bypass validation are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import DataError, IntegrityError, transaction

from agreements.models import (
    Agreement,
    BlocMembership,
    Commitment,
    Delegate,
    Economy,
    Extension,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
    TariffLine,
)

pytestmark = pytest.mark.django_db
D = dt.date


def measure() -> Measure:
    return Measure.objects.get(slug="us-section-122-surcharge")


def truce() -> Agreement:
    return Agreement.objects.get(slug="us-cn-geneva-truce")


def geneva() -> NegotiationRound:
    return NegotiationRound.objects.get(city="Geneva")


def commitment(**overrides: Any) -> Commitment:
    fields: dict[str, Any] = {
        "slug": "test-commitment",
        "pledger_id": "JP",
        "beneficiary_id": "US",
        "kind": "investment",
        "description": "test",
        **overrides,
    }
    return Commitment.objects.create(**fields)


VIOLATIONS: dict[str, Callable[[], Any]] = {
    "economy_code_format": lambda: Economy.objects.create(code="us", name="lower"),
    "economy_code_digits": lambda: Economy.objects.create(code="U1", name="digit"),
    "economy_code_unique": lambda: Economy.objects.create(code="US", name="again"),
    "membership_left_after_joined": lambda: BlocMembership.objects.create(
        bloc_id="EU", member_id="NO", joined_on=D(2030, 1, 1), left_on=D(2030, 1, 1)
    ),
    "membership_not_self": lambda: BlocMembership.objects.create(
        bloc_id="EU", member_id="EU", joined_on=D(2030, 1, 1)
    ),
    "membership_unique_start": lambda: BlocMembership.objects.create(
        bloc_id="EU", member_id="DE", joined_on=D(1958, 1, 1)
    ),
    "product_code_letters": lambda: Product.objects.create(
        code="95ab", level="heading", description="x"
    ),
    "product_code_matches_level": lambda: Product.objects.create(
        code="95031", level="heading", description="x"
    ),
    "product_national_line_length": lambda: Product.objects.create(
        code="95030000000", level="national", description="x"
    ),
    "agreement_signed_not_before_announced": lambda: Agreement.objects.filter(pk=truce().pk).update(
        signed_on=D(2025, 5, 1)
    ),
    "agreement_expires_after_effective": lambda: Agreement.objects.filter(pk=truce().pk).update(
        expires_on=D(2025, 5, 14)
    ),
    "agreement_terminated_not_before_announced": lambda: Agreement.objects.filter(
        pk=truce().pk
    ).update(terminated_on=D(2025, 1, 1)),
    "agreement_slug_unique": lambda: Agreement.objects.create(
        slug="us-cn-geneva-truce", title="again", kind="truce", summary="x"
    ),
    "extension_one_per_agreement_day": lambda: Extension.objects.create(
        agreement=truce(), decided_on=D(2025, 8, 11), expires_on=D(2027, 1, 1), instrument="x"
    ),
    "round_ends_not_before_start": lambda: NegotiationRound.objects.filter(pk=geneva().pk).update(
        end_date=D(2025, 5, 9)
    ),
    "round_unique_title_start": lambda: NegotiationRound.objects.create(
        title="Geneva talks",
        city="Geneva",
        venue_country_id="CH",
        start_date=D(2025, 5, 10),
        end_date=D(2025, 5, 10),
    ),
    "delegate_unique_per_round": lambda: Delegate.objects.create(
        round=geneva(), name="Scott Bessent", title="again", economy_id="US"
    ),
    "commitment_not_to_self": lambda: commitment(beneficiary_id="JP"),
    "commitment_amount_non_negative": lambda: commitment(amount=Decimal(-1), currency="USD"),
    "commitment_quantity_non_negative": lambda: commitment(quantity=Decimal(-1), unit="t"),
    "commitment_currency_without_amount": lambda: commitment(currency="USD"),
    "commitment_amount_without_currency": lambda: commitment(amount=Decimal(1)),
    "commitment_currency_format": lambda: commitment(amount=Decimal(1), currency="usd"),
    "commitment_unit_without_quantity": lambda: commitment(unit="t"),
    "commitment_quantity_without_unit": lambda: commitment(quantity=Decimal(1)),
    "measure_origin_not_importer": lambda: Measure.objects.filter(pk=measure().pk).update(
        origin_id="US"
    ),
    "measure_slug_unique": lambda: Measure.objects.create(
        slug="us-section-122-surcharge",
        title="x",
        importer_id="US",
        legal_basis="other",
        instrument="x",
        program="x",
        kind="additional",
    ),
    "rate_non_negative": lambda: Rate.objects.create(
        measure=measure(), rate=Decimal("-0.01"), valid_from=D(2030, 1, 1)
    ),
    "rate_valid_to_after_valid_from": lambda: Rate.objects.create(
        measure=measure(), rate=1, valid_from=D(2030, 1, 1), valid_to=D(2030, 1, 1)
    ),
    "rate_unique_measure_start_status": lambda: Rate.objects.create(
        measure=measure(), rate=1, valid_from=D(2026, 2, 24), status="in_force"
    ),
    "rate_specific_parts_together": lambda: Rate.objects.create(
        measure=measure(), rate=0, valid_from=D(2030, 1, 1), specific_amount=Decimal("0.044")
    ),
    "rate_specific_parts_together_unit": lambda: Rate.objects.create(
        measure=measure(), rate=0, valid_from=D(2030, 1, 1), specific_unit="kg"
    ),
    "rate_specific_non_negative": lambda: Rate.objects.create(
        measure=measure(),
        rate=0,
        valid_from=D(2030, 1, 1),
        specific_amount=Decimal("-0.01"),
        specific_currency="USD",
        specific_unit="kg",
    ),
    "rate_specific_currency_format": lambda: Rate.objects.create(
        measure=measure(),
        rate=0,
        valid_from=D(2030, 1, 1),
        specific_amount=Decimal("0.01"),
        specific_currency="usd",
        specific_unit="kg",
    ),
    "measure_claim_format": lambda: Measure.objects.filter(pk=measure().pk).update(claim="K R"),
    "measure_claim_upper_case": lambda: Measure.objects.filter(pk=measure().pk).update(claim="kr"),
    "measure_basis_valid": lambda: Measure.objects.filter(pk=measure().pk).update(basis="weight"),
    "source_url_or_locator": lambda: Source.objects.create(title="x", publisher="x"),
    "source_unique_url": lambda: Source.objects.create(
        title="x",
        publisher="x",
        url=Source.objects.exclude(url="").first().url,  # type: ignore[union-attr]
    ),
    "source_unique_locator": lambda: [
        Source.objects.create(title="x", publisher="x", locator="usitc/x.csv") for _ in range(2)
    ],
    "tariff_line_code_format": lambda: TariffLine.objects.create(
        importer_id="US", code="0101300", valid_from=D(2026, 1, 1), description="x", edition="x"
    ),
    "tariff_line_unique_importer_code_start": lambda: [
        TariffLine.objects.create(
            importer_id="US",
            code="01013000",
            valid_from=D(2026, 1, 1),
            description="x",
            edition="x",
        )
        for _ in range(2)
    ],
    "tariff_line_valid_to_after_valid_from": lambda: TariffLine.objects.create(
        importer_id="US",
        code="01013000",
        valid_from=D(2026, 1, 1),
        valid_to=D(2026, 1, 1),
        description="x",
        edition="x",
    ),
}


@pytest.mark.parametrize("write", list(VIOLATIONS.values()), ids=list(VIOLATIONS))
def test_a_raw_write_breaking_an_invariant_is_refused(write: Callable[[], Any]) -> None:
    # PostgreSQL refuses an over-long code by column length (DataError) before any check.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        write()


@pytest.mark.postgres
def test_overlapping_in_force_periods_are_refused_by_postgresql() -> None:
    # us-section-122-surcharge is in force over [2026-02-24, 2026-07-24).
    with pytest.raises(IntegrityError, match="rate_in_force_no_overlap"), transaction.atomic():
        Rate.objects.create(measure=measure(), rate=5, valid_from=D(2026, 7, 1))


@pytest.mark.postgres
def test_touching_and_non_in_force_periods_are_allowed_by_postgresql() -> None:
    Rate.objects.create(measure=measure(), rate=5, valid_from=D(2026, 7, 24))  # Touches: fine.
    Rate.objects.create(measure=measure(), rate=15, valid_from=D(2026, 3, 1), status="announced")
    Rate.objects.create(measure=measure(), rate=15, valid_from=D(2026, 3, 1), status="suspended")
    assert measure().rates.count() == 4


@pytest.mark.postgres
def test_overlapping_memberships_are_refused_by_postgresql() -> None:
    with pytest.raises(IntegrityError, match="membership_no_overlap"), transaction.atomic():
        BlocMembership.objects.create(bloc_id="EU", member_id="DE", joined_on=D(2000, 1, 1))


def test_clean_names_the_colliding_period_on_every_database() -> None:
    existing = measure().rates.get()
    period = Rate(measure=measure(), rate=5, valid_from=D(2026, 7, 1))
    with pytest.raises(
        Exception, match=rf"2026-02-24 to 2026-07-24 \(rate 10.00%, id {existing.pk}\)"
    ):
        period.full_clean()
    Rate(measure=measure(), rate=5, valid_from=D(2026, 7, 24)).full_clean()


def test_membership_clean_names_the_colliding_membership() -> None:
    overlapping = BlocMembership(bloc_id="EU", member_id="DE", joined_on=D(2000, 1, 1))
    with pytest.raises(Exception, match="Overlaps the membership DE in EU from 1958-01-01"):
        overlapping.full_clean()

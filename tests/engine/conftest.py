"""Builders for synthetic measures on user-assigned economy codes (XA..XZ), which no real
data uses, so these tests are independent of the shipped fixtures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from agreements.models import BlocMembership, Economy, Measure, Product, Rate
from agreements.models.choices import EconomyKind

IMPORTER, ORIGIN, OTHER, BLOC = "XA", "XB", "XC", "XE"


@pytest.fixture
def economies(db: Any) -> None:
    for code in (IMPORTER, ORIGIN, OTHER):
        Economy.objects.create(code=code, name=f"Test {code}", kind=EconomyKind.COUNTRY)
    Economy.objects.create(code=BLOC, name="Test bloc", kind=EconomyKind.BLOC)
    BlocMembership.objects.create(
        bloc_id=BLOC, member_id=ORIGIN, joined_on=dt.date(2020, 1, 1), left_on=dt.date(2030, 1, 1)
    )


_counter = iter(range(1, 10**9))


def make_measure(
    *,
    rates: Sequence[tuple[str, str, str | None] | tuple[str, str, str | None, str]],
    kind: str = "additional",
    program: str = "p",
    origin: str | None = ORIGIN,
    importer: str = IMPORTER,
    products: Sequence[str] = (),
    excluded_products: Sequence[str] = (),
    excluded_origins: Sequence[str] = (),
) -> Measure:
    """A measure with periods given as (rate, valid_from, valid_to[, status])."""
    number = next(_counter)
    measure = Measure.objects.create(
        slug=f"test-{number}",
        title=f"Test measure {number}",
        importer_id=importer,
        origin_id=origin,
        legal_basis="mfn" if kind == "base" else "other",
        instrument=f"Test act {number}",
        program=program,
        kind=kind,
    )
    measure.products.set(Product.objects.filter(code__in=products))
    measure.excluded_products.set(Product.objects.filter(code__in=excluded_products))
    measure.excluded_origins.set(Economy.objects.filter(code__in=excluded_origins))
    for period in rates:
        rate, valid_from, valid_to = period[0], period[1], period[2]
        status = period[3] if len(period) == 4 else "in_force"
        Rate.objects.create(
            measure=measure,
            rate=Decimal(rate),
            valid_from=dt.date.fromisoformat(valid_from),
            valid_to=dt.date.fromisoformat(valid_to) if valid_to else None,
            status=status,
        )
    return measure


def make_product(code: str) -> Product:
    """An HS line (and its parents) with a synthetic description."""
    parent = None
    for length in range(2, len(code) + 1, 2):
        parent, _ = Product.objects.get_or_create(
            code=code[:length],
            defaults={
                "level": {2: "chapter", 4: "heading", 6: "subheading"}.get(length, "national"),
                "description": f"Test {code[:length]}",
                "parent": parent,
            },
        )
    assert parent is not None
    return parent


def make_duty(
    text: str,
    *,
    kind: str = "base",
    program: str = "mfn",
    origin: str | None = None,
    products: Sequence[str] = (),
    claim: str = "",
    waived_by: Sequence[str] = (),
    basis: str = "value",
    valid_from: str = "2025-01-01",
    valid_to: str | None = None,
    importer: str = IMPORTER,
) -> Measure:
    """A measure whose one period is the duty `text` as a tariff prints it ("4.4¢/kg",
    "$1.104/kg + 14.9%", "Free", "25%"), read into its parts by the tariff parser."""
    from agreements.tariffs.duties import parse_duty

    duty = parse_duty(text)
    assert duty.reducible, f"{text!r} is not an ad valorem and/or specific duty"
    measure = make_measure(
        rates=[], kind=kind, program=program, origin=origin, importer=importer, products=()
    )
    measure.claim = claim
    measure.waived_by = list(waived_by)
    measure.basis = basis
    measure.save()
    measure.products.set([make_product(code) for code in products])
    specific = duty.specific
    Rate.objects.create(
        measure=measure,
        rate=duty.ad_valorem,
        expression=text,
        specific_amount=specific.amount if specific else None,
        specific_currency=specific.currency if specific else "",
        specific_unit=specific.unit if specific else "",
        valid_from=dt.date.fromisoformat(valid_from),
        valid_to=dt.date.fromisoformat(valid_to) if valid_to else None,
    )
    return measure

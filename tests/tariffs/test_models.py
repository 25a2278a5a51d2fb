"""The new fields' rules hold in clean() too, with messages that name the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements.models import Measure, Rate, Source, TariffLine
from agreements.models.choices import MeasureBasis
from tests import factories

pytestmark = pytest.mark.django_db


def measure() -> Measure:
    return factories.measure(origin=None, rates=[])


def test_a_claim_is_stored_in_upper_case() -> None:
    m = measure()
    m.claim = " s+ "
    m.waived_by = ["s", "S+"]
    m.full_clean()
    m.save()
    m.refresh_from_db()
    assert (m.claim, m.waived_by) == ("S+", ["S", "S+"])
    assert m.basis == MeasureBasis.VALUE
    assert m.yields_to == []
    assert m.yields_content_to == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("claim", "K R"),
        ("waived_by", "S"),
        ("waived_by", ["S", "S"]),
        ("waived_by", ["not a claim"]),
        ("yields_to", ["Not A Slug"]),
        ("yields_to", ["p"]),  # its own program (the factory's default)
        ("basis", "weight"),
        ("yields_content_to", "steel"),
        ("yields_content_to", ["Not A Slug"]),
        ("yields_content_to", ["p"]),  # its own program
    ],
)
def test_measure_clean_refuses(field: str, value: object) -> None:
    m = measure()
    setattr(m, field, value)
    with pytest.raises(ValidationError) as error:
        m.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # Yielding entirely and on the content only to one program: which would apply?
        ({"yields_to": ["steel"]}, "yields to entirely"),
        # A base rate, or a duty on a content, has no "rest of the value" to be charged on.
        ({"kind": "base"}, "whole value"),
        ({"basis": "content"}, "charged on its content"),
    ],
)
def test_yielding_on_the_content_only_is_refused_where_it_means_nothing(
    changes: dict[str, object], message: str
) -> None:
    m = measure()
    m.yields_content_to = ["steel"]
    m.full_clean()
    for name, value in changes.items():
        setattr(m, name, value)
    with pytest.raises(ValidationError) as error:
        m.full_clean()
    assert message in " ".join(error.value.message_dict["yields_content_to"])


def test_specific_parts_go_together_in_clean() -> None:
    rate = Rate(measure=measure(), rate=0, valid_from=dt.date(2030, 1, 1), specific_unit="kg")
    with pytest.raises(ValidationError) as error:
        rate.full_clean()
    assert set(error.value.message_dict) == {"specific_amount", "specific_currency"}
    rate.specific_amount, rate.specific_currency = Decimal("0.044"), "USD"
    rate.full_clean()


def test_a_source_needs_a_url_or_a_locator() -> None:
    with pytest.raises(ValidationError) as error:
        Source(title="x", publisher="x").full_clean()
    assert "url" in error.value.message_dict
    Source(title="x", publisher="x", locator="usitc/hts_2026_basic_edition.csv line 9").full_clean()


def test_a_tariff_line_has_8_or_10_digits() -> None:
    line = TariffLine(
        importer=factories.economy("XA"),
        code="0101300",
        valid_from=dt.date(2026, 1, 1),
        description="x",
        edition="x",
    )
    with pytest.raises(ValidationError) as error:
        line.full_clean(exclude=["sources"])
    assert "code" in error.value.message_dict

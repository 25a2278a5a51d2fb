"""The new fields' rules hold in clean() too, with messages that name the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements.models import Measure, Rate, Source, TariffLine
from agreements.models.choices import MeasureBasis

pytestmark = pytest.mark.django_db


def measure() -> Measure:
    return Measure.objects.get(slug="us-section-122-surcharge")


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


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("claim", "K R"),
        ("waived_by", "S"),
        ("waived_by", ["S", "S"]),
        ("waived_by", ["not a claim"]),
        ("yields_to", ["Not A Slug"]),
        ("yields_to", ["us-section-122"]),  # its own program
        ("basis", "weight"),
    ],
)
def test_measure_clean_refuses(field: str, value: object) -> None:
    m = measure()
    setattr(m, field, value)
    with pytest.raises(ValidationError) as error:
        m.full_clean()
    assert field in error.value.message_dict


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
        importer_id="US", code="0101300", valid_from=dt.date(2026, 1, 1), description="x",
        edition="x",
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        line.full_clean(exclude=["sources"])
    assert "code" in error.value.message_dict

"""The engine on the shipped 2025 data: the answers analysts check first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agreements.engine import Scenario, effective_rate

# Reads the shipped data: runs last, on the seeded database (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.facts]
D = dt.date


def lookup(importer: str, origin: str, hs: str, on: dt.date) -> tuple[str | None, str, str | None]:
    duty = effective_rate(importer=importer, origin=origin, hs=hs, on=on).duty
    return (
        None if duty.base_rate is None else str(duty.base_rate),
        str(duty.additional_rate),
        None if duty.total_rate is None else str(duty.total_rate),
    )


@pytest.mark.parametrize(
    ("on", "additional", "instruments"),
    [
        (D(2025, 2, 3), "0.00", []),
        (D(2025, 2, 4), "10.00", ["EO 14195"]),
        (D(2025, 3, 4), "20.00", ["EO 14228"]),
        (D(2025, 4, 5), "30.00", ["EO 14228", "EO 14257"]),  # The 10% baseline reaches China.
        (D(2025, 4, 9), "104.00", ["EO 14228", "EO 14259"]),
        (D(2025, 4, 10), "145.00", ["EO 14228", "EO 14266"]),
        (D(2025, 5, 13), "145.00", ["EO 14228", "EO 14266"]),
        (D(2025, 5, 14), "30.00", ["EO 14228", "EO 14298"]),  # Geneva.
        (D(2025, 8, 12), "30.00", ["EO 14228", "EO 14334"]),  # Stockholm extension.
        (D(2025, 11, 10), "20.00", ["EO 14357", "EO 14358"]),  # Busan.
        (D(2026, 2, 19), "20.00", ["EO 14357", "EO 14358"]),
        (D(2026, 2, 20), "0.00", []),  # IEEPA tariffs end with the Supreme Court ruling.
        (D(2026, 2, 21), "0.00", []),
        (D(2026, 2, 23), "0.00", []),
        (D(2026, 2, 24), "10.00", ["Section 122"]),
    ],
)
def test_us_duty_on_chinese_toys_through_2025(
    on: dt.date, additional: str, instruments: list[str]
) -> None:
    result = effective_rate(importer="US", origin="CN", hs="950300", on=on)
    assert result.duty.base_rate == Decimal("0.00")  # Toys are MFN-free.
    assert str(result.duty.additional_rate) == additional
    applied = [c.instrument for c in result.duty.components if c.kind != "base"]
    assert len(applied) == len(instruments)
    for instrument, expected in zip(applied, instruments, strict=True):
        assert expected in instrument


@pytest.mark.parametrize(
    ("on", "additional"),
    [
        (D(2025, 3, 9), "0.00"),
        (D(2025, 3, 10), "10.00"),  # March farm tariffs.
        (D(2025, 4, 10), "94.00"),  # + 84% reciprocal countermeasure.
        (D(2025, 4, 12), "135.00"),  # + 125%.
        (D(2025, 5, 14), "20.00"),  # Geneva: 10% kept.
        (D(2025, 11, 10), "10.00"),  # Farm tariffs removed under the arrangement.
    ],
)
def test_chinese_duty_on_us_soybeans(on: dt.date, additional: str) -> None:
    # No Chinese MFN rate is recorded, so the base and the total are unknown, not zero.
    assert lookup("CN", "US", "120190", on) == (None, additional, None)
    assert lookup("CN", "US", "1201", on) == (None, additional, None)  # The heading itself.


def test_chinese_duty_on_us_toys_follows_the_reciprocal_countermeasures() -> None:
    assert lookup("CN", "US", "950300", D(2025, 4, 11)) == (None, "84.00", None)
    assert lookup("CN", "US", "950300", D(2025, 5, 1)) == (None, "125.00", None)
    assert lookup("CN", "US", "950300", D(2025, 6, 1)) == (None, "10.00", None)


@pytest.mark.parametrize(
    ("origin", "hs", "expected"),
    [
        ("JP", "610910", ("16.50", "0.00", "16.50")),  # MFN above 15%: the all-in adds nothing.
        ("JP", "950300", ("0.00", "15.00", "15.00")),  # MFN free: tops up to 15%.
        ("DE", "610910", ("16.50", "0.00", "16.50")),  # Germany, through the EU.
        ("FR", "950300", ("0.00", "15.00", "15.00")),
        ("GB", "950300", ("0.00", "10.00", "10.00")),  # The UK at 10%.
        ("GB", "610910", ("16.50", "10.00", "26.50")),
        ("JP", "870323", ("2.50", "12.50", "15.00")),  # Cars: Section 232 all-in, no reciprocal.
        ("VN", "950300", ("0.00", "20.00", "20.00")),
    ],
)
def test_partner_rates_after_the_2025_deals(
    origin: str, hs: str, expected: tuple[str, str, str]
) -> None:
    assert lookup("US", origin, hs, D(2025, 10, 1)) == expected


@pytest.mark.parametrize(
    ("origin", "hs", "expected", "reciprocal"),
    [
        ("JP", "610910", ("16.50", "0.00", "16.50"), ("all_in", "15.00", "0.00")),  # MFN 16.5.
        ("JP", "950300", ("0.00", "15.00", "15.00"), ("all_in", "15.00", "15.00")),  # MFN 0.
        ("DE", "610910", ("16.50", "0.00", "16.50"), ("all_in", "15.00", "0.00")),
        ("DE", "950300", ("0.00", "15.00", "15.00"), ("all_in", "15.00", "15.00")),
        ("GB", "950300", ("0.00", "10.00", "10.00"), ("additional", "10.00", "10.00")),
    ],
)
def test_the_15_percent_all_in_rule_on_1_september_2025(
    origin: str, hs: str, expected: tuple[str, str, str], reciprocal: tuple[str, str, str]
) -> None:
    assert lookup("US", origin, hs, D(2025, 9, 1)) == expected
    result = effective_rate(importer="US", origin=origin, hs=hs, on=D(2025, 9, 1))
    assert [
        (c.kind, str(c.rate), str(c.applied_rate))
        for c in result.duty.components
        if c.kind != "base"
    ] == [reciprocal]


def test_a_member_state_is_matched_through_the_eu() -> None:
    on = D(2025, 9, 1)
    member = effective_rate(importer="US", origin="DE", hs="950300", on=on)
    bloc = effective_rate(importer="US", origin="EU", hs="950300", on=on)
    assert member.duty == bloc.duty
    assert [c.instrument for c in member.duty.components] == ["HTSUS column 1 general", "EO 14326"]


def test_the_uk_is_not_matched_through_the_eu_after_leaving() -> None:
    result = effective_rate(importer="US", origin="GB", hs="950300", on=D(2025, 10, 1))
    assert [c.instrument for c in result.duty.components if c.kind != "base"] == ["EO 14326"]
    assert all(c.title.find("EU") == -1 for c in result.duty.components)


def test_the_one_day_country_rate_and_its_pause() -> None:
    assert lookup("US", "JP", "950300", D(2025, 4, 9)) == ("0.00", "24.00", "24.00")
    assert lookup("US", "JP", "950300", D(2025, 4, 10)) == ("0.00", "10.00", "10.00")
    assert lookup("US", "DE", "950300", D(2025, 4, 9)) == ("0.00", "20.00", "20.00")


def test_semiconductors_stack_section_301_on_ieepa() -> None:
    assert lookup("US", "CN", "854231", D(2025, 6, 1)) == ("0.00", "80.00", "80.00")
    assert lookup("US", "CN", "854231", D(2026, 3, 1)) == ("0.00", "60.00", "60.00")


def test_the_announced_scenario_counts_no_extra_rate_in_the_fixtures() -> None:
    # No announced periods are shipped, so both scenarios agree on the real data.
    for on in (D(2025, 4, 10), D(2025, 11, 10)):
        in_force = effective_rate(importer="US", origin="CN", hs="950300", on=on)
        announced = effective_rate(
            importer="US", origin="CN", hs="950300", on=on, scenario=Scenario.ANNOUNCED
        )
        assert in_force.duty == announced.duty

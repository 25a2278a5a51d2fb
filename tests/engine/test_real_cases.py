"""The engine on the shipped 2025 data: the answers analysts check first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agreements.engine import Scenario, effective_rate

pytestmark = [pytest.mark.django_db, pytest.mark.facts, pytest.mark.usefixtures("hts_lines")]
D = dt.date
# Statistical lines of the HTS: the US measures name 8- and 10-digit lines, which a coarser
# code (a 6-digit subheading) does not match.
TOY, TSHIRT, CAR, CPU = "9503000073", "6109100012", "8703230130", "8542310045"
# Their MFN base, from the HTS editions (tests/engine/conftest.py).
HTS_LINES = [TOY, TSHIRT, CAR, CPU]


def lookup(importer: str, origin: str, hs: str, on: dt.date) -> tuple[str | None, str, str | None]:
    duty = effective_rate(importer=importer, origin=origin, hs=hs, on=on).duty
    return (
        None if duty.base_rate is None else str(duty.base_rate),
        str(duty.additional_rate),
        None if duty.total_rate is None else str(duty.total_rate),
    )


FENTANYL, RECIPROCAL, S122 = "us-ieepa-fentanyl", "us-ieepa-reciprocal", "us-section-122"


@pytest.mark.parametrize(
    ("on", "programs"),
    [
        (D(2025, 2, 3), {}),
        (D(2025, 2, 4), {FENTANYL: "10.00"}),  # EO 14195.
        (D(2025, 3, 4), {FENTANYL: "20.00"}),  # EO 14228.
        (D(2025, 4, 5), {FENTANYL: "20.00", RECIPROCAL: "10.00"}),  # The baseline reaches China.
        (D(2025, 4, 9), {FENTANYL: "20.00", RECIPROCAL: "84.00"}),  # EO 14259.
        (D(2025, 4, 10), {FENTANYL: "20.00", RECIPROCAL: "125.00"}),  # EO 14266.
        (D(2025, 5, 13), {FENTANYL: "20.00", RECIPROCAL: "125.00"}),
        (D(2025, 5, 14), {FENTANYL: "20.00", RECIPROCAL: "10.00"}),  # Geneva (EO 14298).
        (D(2025, 8, 12), {FENTANYL: "20.00", RECIPROCAL: "10.00"}),  # Stockholm (EO 14334).
        (D(2025, 11, 10), {FENTANYL: "10.00", RECIPROCAL: "10.00"}),  # Busan (EO 14357/14358).
        (D(2026, 2, 19), {FENTANYL: "10.00", RECIPROCAL: "10.00"}),
        (D(2026, 2, 20), {}),  # IEEPA tariffs end with the Supreme Court ruling.
        (D(2026, 2, 21), {}),
        (D(2026, 2, 23), {}),
        (D(2026, 2, 24), {S122: "10.00"}),
    ],
)
def test_us_duty_on_chinese_toys_through_2025(on: dt.date, programs: dict[str, str]) -> None:
    result = effective_rate(importer="US", origin="CN", hs="9503000073", on=on)
    assert result.duty.base_rate == Decimal("0.00")  # Toys are MFN-free.
    applied = {c.program: str(c.applied_rate) for c in result.duty.components if c.kind != "base"}
    assert applied == programs
    assert result.duty.additional_rate == sum((Decimal(r) for r in programs.values()), Decimal())


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
        ("JP", TSHIRT, ("16.50", "0.00", "16.50")),  # MFN above 15%: the all-in adds nothing.
        ("JP", TOY, ("0.00", "15.00", "15.00")),  # MFN free: tops up to 15%.
        ("DE", TSHIRT, ("16.50", "0.00", "16.50")),  # Germany, through the EU.
        ("FR", TOY, ("0.00", "15.00", "15.00")),
        ("GB", TOY, ("0.00", "10.00", "10.00")),  # The UK at 10%.
        ("GB", TSHIRT, ("16.50", "10.00", "26.50")),
        ("JP", CAR, ("2.50", "12.50", "15.00")),  # Cars: Section 232 all-in, no reciprocal.
        ("VN", TOY, ("0.00", "20.00", "20.00")),
    ],
)
def test_partner_rates_after_the_2025_deals(
    origin: str, hs: str, expected: tuple[str, str, str]
) -> None:
    assert lookup("US", origin, hs, D(2025, 10, 1)) == expected


@pytest.mark.parametrize(
    ("origin", "hs", "expected", "reciprocal"),
    [
        ("JP", TSHIRT, ("16.50", "0.00", "16.50"), ("all_in", "15.00", "0.00")),  # MFN 16.5.
        ("JP", TOY, ("0.00", "15.00", "15.00"), ("all_in", "15.00", "15.00")),  # MFN 0.
        ("DE", TSHIRT, ("16.50", "0.00", "16.50"), ("all_in", "15.00", "0.00")),
        ("DE", TOY, ("0.00", "15.00", "15.00"), ("all_in", "15.00", "15.00")),
        ("GB", TOY, ("0.00", "10.00", "10.00"), ("additional", "10.00", "10.00")),
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
    member = effective_rate(importer="US", origin="DE", hs=TOY, on=on)
    bloc = effective_rate(importer="US", origin="EU", hs=TOY, on=on)
    assert member.duty == bloc.duty
    assert [c.program for c in member.duty.components] == ["us-mfn", "us-ieepa-reciprocal"]
    assert "EO 14326" in member.duty.components[1].instrument


def test_the_uk_is_not_matched_through_the_eu_after_leaving() -> None:
    result = effective_rate(importer="US", origin="GB", hs=TOY, on=D(2025, 10, 1))
    additional = [c for c in result.duty.components if c.kind != "base"]
    assert [(c.program, str(c.applied_rate)) for c in additional] == [(RECIPROCAL, "10.00")]
    assert "EO 14326" in additional[0].instrument
    assert all(c.title.find("EU") == -1 for c in result.duty.components)


def test_the_one_day_country_rate_and_its_pause() -> None:
    assert lookup("US", "JP", TOY, D(2025, 4, 9)) == ("0.00", "24.00", "24.00")
    assert lookup("US", "JP", TOY, D(2025, 4, 10)) == ("0.00", "10.00", "10.00")
    assert lookup("US", "DE", TOY, D(2025, 4, 9)) == ("0.00", "20.00", "20.00")


def test_semiconductors_stack_section_301_on_ieepa() -> None:
    # Semiconductors are exempt from the reciprocal tariff (2025-04-11 memorandum) and from
    # the Section 122 surcharge (note 2(aa)(ii)); Section 301 (50%) stacks on the rest.
    assert lookup("US", "CN", CPU, D(2025, 6, 1)) == ("0.00", "70.00", "70.00")
    assert lookup("US", "CN", CPU, D(2026, 3, 1)) == ("0.00", "50.00", "50.00")


def test_the_announced_scenario_counts_no_extra_rate_in_the_fixtures() -> None:
    # No announced periods are shipped, so both scenarios agree on the real data.
    for on in (D(2025, 4, 10), D(2025, 11, 10)):
        in_force = effective_rate(importer="US", origin="CN", hs=TOY, on=on)
        announced = effective_rate(
            importer="US", origin="CN", hs=TOY, on=on, scenario=Scenario.ANNOUNCED
        )
        assert in_force.duty == announced.duty

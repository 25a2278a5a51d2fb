"""Rules 0, 4 and 5 of the engine (API.md): claims and waivers, programs that give way to
others, content-basis measures; and what an answer says when the percentage is not the whole
duty or no data stands behind it. Synthetic economies (XA..XE), so no shipped fact matters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from agreements.engine import WarningCode, effective_rate, timeline
from agreements.models import Measure, Product, Rate
from tests.engine.conftest import IMPORTER, ORIGIN, make_measure

pytestmark = pytest.mark.django_db
D = dt.date
ON = D(2025, 6, 1)


@pytest.fixture(autouse=True)
def _world(economies: None) -> None:
    for code, parent in (("95", None), ("9503", "95"), ("950300", "9503")):
        Product.objects.get_or_create(
            code=code,
            defaults={
                "level": {2: "chapter", 4: "heading", 6: "subheading"}[len(code)],
                "description": f"Test {code}",
                "parent_id": parent,
            },
        )


def measure(**fields: Any) -> Measure:
    """make_measure, then the fields it does not take."""
    options = {
        k: fields.pop(k) for k in ("claim", "waived_by", "yields_to", "basis") if k in fields
    }
    created = make_measure(**fields)
    for name, value in options.items():
        setattr(created, name, value)
    created.save()
    return created


def ask(claims: tuple[str, ...] = (), on: dt.date = ON) -> Any:
    return effective_rate(importer=IMPORTER, origin=ORIGIN, hs="950300", on=on, claims=claims)


def programs(result: Any) -> dict[str, str]:
    return {c.program: str(c.applied_rate) for c in result.duty.components}


def test_a_preference_applies_only_when_claimed_and_then_is_the_lower_base() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("6.00", "2025-01-01", None)])
    measure(
        kind="base", program="fta", claim="KR", origin=None, rates=[("0.00", "2025-01-01", None)]
    )
    assert ask().duty.total_rate == Decimal("6.00")
    claimed = ask(("kr",))
    assert claimed.claims == ("KR",)
    assert claimed.duty.total_rate == Decimal("0.00")
    assert programs(claimed) == {"fta": "0.00"}
    assert claimed.duty.components[0].claim == "KR"


def test_a_waiving_claim_switches_a_measure_off() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("0.00", "2025-01-01", None)])
    measure(program="border", waived_by=["S", "S+"], rates=[("25.00", "2025-03-04", None)])
    assert ask().duty.total_rate == Decimal("25.00")
    assert ask(("S",)).duty.total_rate == Decimal("0.00")
    assert ask(("S+",)).duty.total_rate == Decimal("0.00")


def test_available_claims_list_each_claim_that_would_change_the_answer() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("6.00", "2025-01-01", None)])
    measure(
        kind="base", program="fta", claim="KR", origin=None, rates=[("1.00", "2025-01-01", None)]
    )
    measure(program="border", waived_by=["S"], rates=[("25.00", "2025-01-01", None)])
    # A claim that would change nothing (its measure has a higher rate) is not offered.
    measure(
        kind="base", program="gsp", claim="A", origin=None, rates=[("9.00", "2025-01-01", None)]
    )
    offers = {o.claim: o.total_rate for o in ask().available_claims}
    assert offers == {"KR": Decimal("26.00"), "S": Decimal("6.00")}
    # Once claimed, a claim is no longer offered; the others are priced with it.
    assert {o.claim: o.total_rate for o in ask(("S",)).available_claims} == {"KR": Decimal("1.00")}


def test_a_measure_yields_where_a_program_it_gives_way_to_applies() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("0.00", "2025-01-01", None)])
    measure(
        program="reciprocal", yields_to=["steel", "exempt"], rates=[("10.00", "2025-04-05", None)]
    )
    measure(program="steel", products=["9503"], rates=[("25.00", "2025-03-12", None)])
    assert programs(ask()) == {"mfn": "0.00", "steel": "25.00"}
    assert ask().duty.total_rate == Decimal("25.00")
    # Before the steel duty, the reciprocal tariff applies.
    assert programs(ask(on=D(2025, 3, 1))) == {"mfn": "0.00"}
    assert programs(ask(on=D(2025, 3, 11))) == {"mfn": "0.00"}


def test_giving_way_follows_chains() -> None:
    # C stands, so B gives way to it, so A (which gives way only to B) applies.
    measure(kind="base", program="mfn", origin=None, rates=[("0.00", "2025-01-01", None)])
    measure(program="a", yields_to=["b"], rates=[("1.00", "2025-01-01", None)])
    measure(program="b", yields_to=["c"], rates=[("2.00", "2025-01-01", None)])
    measure(program="c", rates=[("4.00", "2025-01-01", None)])
    assert programs(ask()) == {"mfn": "0.00", "a": "1.00", "c": "4.00"}


def test_an_exemption_of_zero_makes_the_taxed_measure_give_way() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("0.00", "2025-01-01", None)])
    measure(program="reciprocal", yields_to=["exempt"], rates=[("10.00", "2025-04-05", None)])
    measure(
        program="exempt", origin=None, products=["950300"], rates=[("0.00", "2025-04-05", None)]
    )
    assert ask().duty.total_rate == Decimal("0.00")
    assert programs(ask()) == {"mfn": "0.00", "exempt": "0.00"}


def test_a_content_basis_measure_is_listed_not_added_and_the_answer_says_so() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("2.00", "2025-01-01", None)])
    measure(program="steel", basis="content", rates=[("50.00", "2025-06-04", None)])
    before, after = ask(on=D(2025, 6, 3)), ask(on=D(2025, 6, 4))
    assert (before.duty.total_rate, before.duty.complete, before.duty.warnings) == (
        Decimal("2.00"),
        True,
        (),
    )
    assert after.duty.total_rate == Decimal("2.00")
    assert programs(after) == {"mfn": "2.00", "steel": "50.00"}
    assert not after.duty.complete
    assert [w.code for w in after.duty.warnings] == [WarningCode.CONTENT_BASIS]


def test_a_specific_duty_is_never_a_silent_zero() -> None:
    created = measure(kind="base", program="mfn", origin=None, rates=[("0.00", "2025-01-01", None)])
    Rate.objects.filter(measure=created).update(
        expression="4.4¢/kg",
        specific_amount=Decimal("0.044"),
        specific_currency="USD",
        specific_unit="kg",
    )
    result = ask()
    base = result.duty.components[0]
    assert (base.expression, base.specific_amount, base.specific_unit) == (
        "4.4¢/kg",
        Decimal("0.044"),
        "kg",
    )
    assert not result.duty.complete
    assert [w.code for w in result.duty.warnings] == [WarningCode.SPECIFIC_DUTY]


def test_with_equal_ad_valorem_rates_the_base_without_a_specific_part_is_lower() -> None:
    compound = measure(
        kind="base", program="mfn", origin=None, rates=[("2.00", "2025-01-01", None)]
    )
    Rate.objects.filter(measure=compound).update(
        expression="1¢/kg + 2%",
        specific_amount=Decimal("0.01"),
        specific_currency="USD",
        specific_unit="kg",
    )
    measure(
        kind="base", program="fta", claim="AU", origin=None, rates=[("2.00", "2025-01-01", None)]
    )
    assert programs(ask(("AU",))) == {"fta": "2.00"}


def test_an_unknown_base_is_a_warning() -> None:
    measure(program="extra", rates=[("10.00", "2025-01-01", None)])
    result = ask()
    assert result.duty.total_rate is None
    assert not result.duty.complete
    assert [w.code for w in result.duty.warnings] == [WarningCode.BASE_UNKNOWN]


def test_no_measures_and_no_data_for_the_dates_are_said() -> None:
    none_at_all = ask()
    assert [w.code for w in none_at_all.warnings] == [WarningCode.NO_MEASURES_FOR_IMPORTER]
    measure(kind="base", program="mfn", origin=None, rates=[("0.00", "2025-01-01", "2026-01-01")])
    assert ask().warnings == ()
    assert [w.code for w in ask(on=D(2024, 6, 1)).warnings] == [WarningCode.OUTSIDE_DATA_PERIOD]
    assert [w.code for w in ask(on=D(2026, 1, 1)).warnings] == [WarningCode.OUTSIDE_DATA_PERIOD]


def test_a_code_unknown_to_the_nomenclature_is_said() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("0.00", "2025-01-01", None)])
    result = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="950399", on=ON)
    assert [w.code for w in result.warnings] == [WarningCode.PRODUCT_NOT_IN_TARIFF]
    assert result.product is not None
    assert result.product.code == "9503"


def test_the_timeline_agrees_with_single_lookups_under_claims() -> None:
    measure(kind="base", program="mfn", origin=None, rates=[("3.00", "2025-01-01", None)])
    measure(program="border", waived_by=["S"], rates=[("25.00", "2025-03-04", "2025-08-01")])
    measure(program="reciprocal", yields_to=["steel"], rates=[("10.00", "2025-04-05", None)])
    measure(program="steel", rates=[("25.00", "2025-06-04", None)])
    for claims in ((), ("S",)):
        result = timeline(
            importer=IMPORTER,
            origin=ORIGIN,
            hs="950300",
            start=D(2025, 1, 1),
            end=D(2026, 1, 1),
            claims=claims,
        )
        for period in result.periods:
            for day in (period.valid_from, period.valid_to - dt.timedelta(days=1)):
                assert ask(claims, on=day).duty == period.duty

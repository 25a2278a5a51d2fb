"""Duty for a shipment (API.md): amounts from the customs value, the quantity and the content
value. Worked examples use the HTS's own duty texts on synthetic economies (XA imports, XB
exports), each with its arithmetic written out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from agreements.engine import WarningCode, effective_rate
from agreements.engine import shipment as money
from agreements.engine.results import Shipment
from agreements.engine.shipment import ShipmentError
from agreements.models import Rate
from tests.engine.conftest import IMPORTER, ORIGIN, make_duty, make_measure, make_product

pytestmark = pytest.mark.django_db
ON = dt.date(2025, 9, 15)
D = Decimal


@pytest.fixture(autouse=True)
def _dollars(economies: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The synthetic importer declares values in dollars, as the US does.
    monkeypatch.setitem(money.IMPORTER_CURRENCIES, IMPORTER, "USD")


def ask(hs: str, claims: tuple[str, ...] = (), **shipment: Any) -> Any:
    return effective_rate(
        importer=IMPORTER,
        origin=ORIGIN,
        hs=hs,
        on=ON,
        claims=claims,
        shipment=Shipment(**{k: v if k == "unit" else D(v) for k, v in shipment.items()}),  # type: ignore[arg-type]
    )


def amounts(result: Any) -> dict[str, Decimal | None]:
    return {c.program: c.duty_amount for c in result.duty.components}


def codes(result: Any) -> set[str]:
    return {w.code for w in result.duty.warnings}


def test_a_specific_duty_is_charged_on_the_quantity() -> None:
    # HTS 0201.10.05, beef carcasses: General "4.4¢/kg".
    make_duty("4.4¢/kg", products=["020110"])
    result = ask("02011005", value="5000.00", quantity="1000", unit="kg")
    # 1,000 kg x $0.044/kg = $44.00; AVE = 44.00 / 5,000.00 x 100 = 0.88%.
    assert result.duty.duty_amount == D("44.00")
    assert result.duty.ad_valorem_equivalent == D("0.88")
    assert result.duty.complete
    assert result.currency == "USD"


def test_a_quantity_converts_to_the_duty_unit() -> None:
    make_duty("4.4¢/kg", products=["020110"])
    # 2.5 t = 2,500 kg; 2,500 x $0.044 = $110.00. 750,000 g = 750 kg: $33.00.
    assert ask("020110", value="1", quantity="2.5", unit="t").duty.duty_amount == D("110.00")
    assert ask("020110", value="1", quantity="750000", unit="g").duty.duty_amount == D("33.00")


def test_count_units_convert_exactly_multiplying_first() -> None:
    # A duty per dozen on 25 pieces: 25 / 12 doz. x $1.00 = $2.0833... -> $2.08 (half-up).
    make_duty("$1/doz.", products=["6115"])
    assert ask("611500", value="10", quantity="25", unit="No.").duty.duty_amount == D("2.08")
    # 3 gross = 36 doz.: $36.00.
    assert ask("611500", value="10", quantity="3", unit="gross").duty.duty_amount == D("36.00")


def test_a_unit_that_does_not_convert_is_refused_naming_unit() -> None:
    make_duty("4.4¢/kg", products=["020110"])
    with pytest.raises(ShipmentError) as refused:
        ask("020110", value="100", quantity="3", unit="liter")
    assert refused.value.field == "unit"
    assert "mass" in str(refused.value)


def test_proof_liters_are_not_guessed_from_liters() -> None:
    # HTS 2208.30 whiskies: "Free"; a duty per proof liter (2208.90.46: "$1.76/pf. liter").
    make_duty("$1.76/pf. liter", products=["220890"])
    with pytest.raises(ShipmentError) as refused:
        ask("220890", value="100", quantity="10", unit="liter")
    assert refused.value.field == "unit"
    assert "pf.liter" in str(refused.value)
    # 10 proof liters x $1.76 = $17.60.
    assert ask("220890", value="100", quantity="10", unit="pf.liter").duty.duty_amount == D("17.60")


def test_a_compound_duty_adds_both_parts() -> None:
    # HTS 0402.29.50, milk powder: General "$1.104/kg + 14.9%".
    make_duty("$1.104/kg + 14.9%", products=["040229"])
    result = ask("04022950", value="8000.00", quantity="2000", unit="kg")
    # 2,000 kg x $1.104 = $2,208.00; 14.9% x $8,000.00 = $1,192.00; total $3,400.00.
    # AVE = 3,400 / 8,000 x 100 = 42.50%.
    assert result.duty.duty_amount == D("3400.00")
    assert result.duty.ad_valorem_equivalent == D("42.50")
    assert result.duty.total_rate == D("14.90")  # The percentage: its ad valorem part only.


def test_a_missing_quantity_is_a_warning_and_the_answer_is_not_complete() -> None:
    make_duty("$1.104/kg + 14.9%", products=["040229"])
    result = ask("040229", value="8000.00")
    assert result.duty.duty_amount is None
    assert not result.duty.complete
    assert codes(result) == {WarningCode.QUANTITY_MISSING}


def test_an_all_in_deal_over_a_compound_base_tops_up_by_the_base_equivalent() -> None:
    make_duty("$1.104/kg + 14.9%", products=["040229"])
    make_duty("15%", kind="all_in", program="deal", origin=ORIGIN)
    result = ask("040229", value="10000.00", quantity="1000", unit="kg")
    # Base: 1,000 x $1.104 + 14.9% x $10,000 = 1,104 + 1,490 = $2,594.00 (AVE 25.94%).
    # All-in 15%: max(0, 15% x 10,000 - 2,594) = max(0, 1,500 - 2,594) = $0.00.
    assert amounts(result) == {"mfn": D("2594.00"), "deal": D("0.00")}
    assert result.duty.duty_amount == D("2594.00")
    # At 100 kg: base 110.40 + 1,490 = $1,600.40 (16.004%), still above 15%: nothing added.
    # At a value of 20,000 and 100 kg: base 110.40 + 2,980 = 3,090.40 (15.452%): nothing.
    # A lighter base: 10 kg on $20,000: 11.04 + 2,980 = 2,991.04 (14.9552%); the deal adds
    # 15% x 20,000 - 2,991.04 = 3,000 - 2,991.04 = $8.96.
    light = ask("040229", value="20000.00", quantity="10", unit="kg")
    assert amounts(light) == {"mfn": D("2991.04"), "deal": D("8.96")}
    assert light.duty.duty_amount == D("3000.00")
    assert light.duty.ad_valorem_equivalent == D("15.00")
    deal = next(c for c in light.duty.components if c.program == "deal")
    # Its applied rate is by the base's equivalent: 15 - 14.9552 = 0.0448 -> 0.04.
    assert deal.applied_rate == D("0.04")


def test_a_content_basis_duty_is_charged_on_the_content_value() -> None:
    # A Section 232 steel derivative: 50% on the value of the steel content.
    make_duty("Free", products=["7326"])
    make_duty("50%", kind="additional", program="s232-steel", basis="content")
    result = ask("732690", value="10000.00", content_value="4000.00")
    # 50% x $4,000.00 of steel = $2,000.00; the base is free. AVE 2,000 / 10,000 = 20%.
    assert amounts(result) == {"mfn": D("0.00"), "s232-steel": D("2000.00")}
    assert result.duty.ad_valorem_equivalent == D("20.00")
    assert result.duty.complete
    without = ask("732690", value="10000.00")
    assert without.duty.duty_amount is None
    assert codes(without) == {WarningCode.CONTENT_VALUE_MISSING}


def test_one_content_value_is_not_charged_twice_for_two_contents() -> None:
    # An article on both Section 232 derivative lists (HTS 9403.20, metal furniture): 50% on
    # its steel content and 50% on its aluminium content. Charging both on one content value
    # of $4,000.00 would be $4,000.00 of duty for $4,000.00 of metal, whatever the split.
    make_duty("Free", products=["9403"])
    make_duty("50%", kind="additional", program="s232-steel", basis="content")
    make_duty("50%", kind="additional", program="s232-aluminum", basis="content")
    result = ask("940320", value="10000.00", content_value="4000.00")
    assert amounts(result) == {"mfn": D("0.00"), "s232-steel": None, "s232-aluminum": None}
    assert result.duty.duty_amount is None
    assert not result.duty.complete
    assert codes(result) == {WarningCode.CONTENT_VALUE_AMBIGUOUS}
    # No content at all is none of either: 0.00 each, whatever the split.
    none = ask("940320", value="10000.00", content_value="0")
    assert amounts(none) == {"mfn": D("0.00"), "s232-steel": D("0.00"), "s232-aluminum": D("0.00")}
    assert none.duty.complete


def _steel_derivative(*, reciprocal: str = "10%", reciprocal_kind: str = "additional") -> None:
    # The shape of a Section 232 steel derivative from 2025-06-04 (proclamation of
    # 2025-06-03, clause 6): the steel duty on the steel content; the reciprocal duty on the
    # "non-aluminum, non-steel content"; a border duty that gives way to steel entirely.
    make_duty("2.9%", products=["9406"])
    make_duty("50%", kind="additional", program="s232-steel-content", basis="content")
    make_duty(
        reciprocal,
        kind=reciprocal_kind,
        program="reciprocal",
        origin=ORIGIN,
        yields_to=["s232-steel"],
        yields_content_to=["s232-steel-content"],
    )


def test_a_duty_that_yields_on_the_content_is_charged_on_the_rest_of_the_value() -> None:
    _steel_derivative()
    result = ask("940620", value="50000.00", content_value="20000.00")
    # MFN 2.9% x 50,000 = 1,450.00; steel 50% x 20,000 = 10,000.00; reciprocal 10% x
    # (50,000 - 20,000) = 3,000.00. Total 14,450.00; AVE 14,450 / 50,000 = 28.90%.
    assert amounts(result) == {
        "mfn": D("1450.00"),
        "s232-steel-content": D("10000.00"),
        "reciprocal": D("3000.00"),
    }
    assert result.duty.duty_amount == D("14450.00")
    assert result.duty.ad_valorem_equivalent == D("28.90")
    assert result.duty.complete
    charged = {c.program: c.charged_on for c in result.duty.components}
    assert charged == {
        "mfn": "value",
        "s232-steel-content": "content",
        "reciprocal": "value_less_content",
    }
    # All of the value is steel: nothing is left for the reciprocal duty.
    steel = ask("940620", value="50000.00", content_value="50000.00")
    assert amounts(steel)["reciprocal"] == D("0.00")
    # No steel: the reciprocal duty is on the whole value, 10% x 50,000.
    none = ask("940620", value="50000.00", content_value="0")
    assert amounts(none)["reciprocal"] == D("5000.00")


def test_without_the_content_value_the_rest_of_the_value_is_not_guessed() -> None:
    _steel_derivative()
    result = ask("940620", value="50000.00")
    assert amounts(result) == {
        "mfn": D("1450.00"),
        "s232-steel-content": None,
        "reciprocal": None,
    }
    assert result.duty.duty_amount is None
    assert codes(result) == {WarningCode.CONTENT_VALUE_MISSING}
    details = [w.detail for w in result.duty.warnings]
    assert any("value less" in d for d in details)


def test_an_all_in_deal_on_the_rest_of_the_value_tops_up_over_the_base_there() -> None:
    # An all-in 15% (the EU deal: "15% minus Column 1 Duty Rate") on the non-steel content:
    # (15% - 2.9%) x 30,000 = 12.1% x 30,000 = 3,630.00, i.e. 15% x 30,000 less the base's
    # share of it, 1,450.00 x 30,000 / 50,000 = 870.00: 4,500.00 - 870.00 = 3,630.00.
    _steel_derivative(reciprocal="15%", reciprocal_kind="all_in")
    result = ask("940620", value="50000.00", content_value="20000.00")
    assert amounts(result) == {
        "mfn": D("1450.00"),
        "s232-steel-content": D("10000.00"),
        "reciprocal": D("3630.00"),
    }
    assert result.duty.duty_amount == D("15080.00")


def test_the_content_yield_needs_a_content_basis_duty_of_the_program() -> None:
    # Where the program's duty is on the full value, or no duty of it applies, the measure is
    # on the whole value: only `yields_to` takes it off whole.
    make_duty("Free", products=["9406"])
    make_duty("50%", kind="additional", program="s232-steel-content", products=["940690"])
    make_duty(
        "10%",
        program="reciprocal",
        kind="additional",
        origin=ORIGIN,
        yields_content_to=["s232-steel-content"],
    )
    full = ask("940690", value="1000.00", content_value="400.00")
    # 50% x 1,000 = 500.00 and 10% x 1,000 = 100.00: the 232 duty here is on the value.
    assert amounts(full) == {
        "mfn": D("0.00"),
        "s232-steel-content": D("500.00"),
        "reciprocal": D("100.00"),
    }
    other = ask("940620", value="1000.00", content_value="400.00")
    assert amounts(other) == {"mfn": D("0.00"), "reciprocal": D("100.00")}


def test_without_a_shipment_a_duty_on_the_rest_of_the_value_is_not_added() -> None:
    _steel_derivative()
    result = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="940620", on=ON)
    # 2.9% only: the steel duty is on the steel, the reciprocal duty on the rest; neither is
    # a percentage of the value, and the answer says so for each.
    assert result.duty.total_rate == D("2.90")
    assert result.duty.additional_rate == D("0.00")
    assert not result.duty.complete
    assert codes(result) == {WarningCode.CONTENT_BASIS, WarningCode.VALUE_LESS_CONTENT}
    rest = next(w for w in result.duty.warnings if w.code == WarningCode.VALUE_LESS_CONTENT)
    assert "10.00%" in rest.detail
    reciprocal = next(c for c in result.duty.components if c.program == "reciprocal")
    assert (reciprocal.applied_rate, reciprocal.charged_on) == (D("10.00"), "value_less_content")


def test_two_contents_leave_the_rest_of_the_value_unknown_too() -> None:
    # Steel and aluminium content duties on one article: value - content_value is not the
    # rest of the value of either, so the reciprocal duty is not priced either.
    _steel_derivative()
    make_duty("50%", kind="additional", program="s232-aluminum-content", basis="content")
    result = ask("940620", value="50000.00", content_value="20000.00")
    assert amounts(result) == {
        "mfn": D("1450.00"),
        "s232-steel-content": None,
        "s232-aluminum-content": None,
        "reciprocal": None,
    }
    assert codes(result) == {WarningCode.CONTENT_VALUE_AMBIGUOUS}


def test_a_usmca_claim_removes_the_border_duty() -> None:
    # Mexico-like origin: MFN 2.5%, USMCA (S) free, the 25% border duty waived by S and S+.
    make_duty("2.5%", products=["8708"])
    make_duty("Free", program="pref-s", claim="S", products=["8708"])
    make_duty("25%", kind="additional", program="border", origin=ORIGIN, waived_by=["S", "S+"])
    unclaimed = ask("870899", value="10000.00")
    # 2.5% x 10,000 = 250.00 + 25% x 10,000 = 2,500.00: $2,750.00.
    assert unclaimed.duty.duty_amount == D("2750.00")
    offer = next(o for o in unclaimed.available_claims if o.claim == "S")
    assert (offer.duty_amount, offer.saving) == (D("0.00"), D("2750.00"))
    claimed = ask("870899", claims=("S",), value="10000.00")
    assert claimed.duty.duty_amount == D("0.00")
    assert amounts(claimed) == {"pref-s": D("0.00")}


def test_an_fta_claim_lowers_the_base_but_not_the_reciprocal_duty() -> None:
    # HTS 8708.99.81: General 2.5%, Special "Free (A*,AU,...,KR,...)"; a 10% reciprocal duty
    # that no FTA waives.
    make_duty("2.5%", products=["8708"])
    make_duty("Free", program="pref-kr", claim="KR", products=["8708"])
    make_duty("10%", kind="additional", program="reciprocal", origin=ORIGIN)
    unclaimed = ask("870899", value="10000.00")
    # 2.5% + 10% of $10,000: 250.00 + 1,000.00 = $1,250.00.
    assert unclaimed.duty.duty_amount == D("1250.00")
    offer = next(o for o in unclaimed.available_claims if o.claim == "KR")
    assert (offer.duty_amount, offer.saving) == (D("1000.00"), D("250.00"))
    claimed = ask("870899", claims=("KR",), value="10000.00")
    assert amounts(claimed) == {"pref-kr": D("0.00"), "reciprocal": D("1000.00")}


def test_with_a_shipment_the_cheapest_base_is_the_base() -> None:
    # Two bases: 5% ad valorem, or a claimed preference of 30¢/kg. Heavy cheap goods cost
    # less at 5%; the lowest rate (the specific one, 0.00%) would pick the dearer one.
    make_duty("5%", products=["0201"])
    make_duty("30¢/kg", program="pref-xx", claim="XX", products=["0201"])
    # 10,000 kg worth $1,000: 5% = $50.00; 10,000 x $0.30 = $3,000.00.
    heavy = ask("020110", claims=("XX",), value="1000.00", quantity="10000", unit="kg")
    assert amounts(heavy) == {"mfn": D("50.00")}
    # 10 kg worth $1,000: 5% = $50.00; 10 x $0.30 = $3.00: the preference is the base.
    light = ask("020110", claims=("XX",), value="1000.00", quantity="10", unit="kg")
    assert amounts(light) == {"pref-xx": D("3.00")}
    # Without a quantity the preference cannot be priced: the rate order decides (the lowest
    # ad valorem rate, 0.00% with its specific part), and the answer is not complete.
    unknown = ask("020110", claims=("XX",), value="1000.00")
    assert list(amounts(unknown)) == ["pref-xx"]
    assert not unknown.duty.complete


def test_a_claim_that_would_raise_the_duty_is_not_offered() -> None:
    make_duty("5%", products=["0201"])
    make_duty("30¢/kg", program="pref-xx", claim="XX", products=["0201"])
    heavy = ask("020110", value="1000.00", quantity="10000", unit="kg")
    assert [o.claim for o in heavy.available_claims] == []
    light = ask("020110", value="1000.00", quantity="10", unit="kg")
    # 5% = $50.00 against $3.00: claiming XX saves $47.00.
    assert [(o.claim, o.saving) for o in light.available_claims] == [("XX", D("47.00"))]


def test_rounding_is_half_up_per_component_and_the_total_is_their_sum() -> None:
    make_duty("2.5%", products=["8708"])
    make_duty("2.5%", kind="additional", program="extra", origin=ORIGIN)
    result = ask("870899", value="0.30")
    # 2.5% x 0.30 = 0.0075 -> 0.01 (half-up) per component; total 0.02, not round(0.015).
    assert amounts(result) == {"mfn": D("0.01"), "extra": D("0.01")}
    assert result.duty.duty_amount == D("0.02")


def test_a_currency_other_than_the_importers_is_refused() -> None:
    make_duty("2.5%", products=["8708"])
    with pytest.raises(ShipmentError) as refused:
        effective_rate(
            importer=IMPORTER,
            origin=ORIGIN,
            hs="870899",
            on=ON,
            shipment=Shipment(value=D("100"), currency="EUR"),
        )
    assert refused.value.field == "currency"
    assert "EUR" in str(refused.value)


def test_without_a_shipment_the_answer_has_no_amounts() -> None:
    make_duty("4.4¢/kg", products=["020110"])
    result = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="020110", on=ON)
    assert result.duty.duty_amount is None
    assert not result.duty.priced
    assert codes(result) == {WarningCode.SPECIFIC_DUTY}


def _duty_as_text(text: str, products: list[str]) -> None:
    """An MFN period as the importers store a duty the parser cannot reduce: the published
    text, a rate of 0.00 and no specific part (agreements.tariffs.imports)."""
    measure = make_measure(rates=[], kind="base", program="mfn", origin=None, products=())
    measure.products.set([make_product(code) for code in products])
    Rate.objects.create(
        measure=measure,
        rate=D("0.00"),
        expression=text,
        valid_from=dt.date(2025, 1, 1),
        note="Not reduced to an ad valorem and a specific part: the rate 0.00 is not the duty.",
    )


WATCH = "44¢ each + 6% on the case + 14% on the strap, band or bracelet + 5.3% on the battery"


def test_a_duty_published_as_text_is_never_answered_as_zero() -> None:
    # HTS 9102.11.10's General duty: parts of the value the API has no field for.
    _duty_as_text(WATCH, ["910211"])
    make_duty("10%", kind="additional", program="reciprocal", origin=ORIGIN)
    rate_only = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="910211", on=ON)
    assert (rate_only.duty.base_rate, rate_only.duty.total_rate) == (None, None)
    assert rate_only.duty.additional_rate == D("10.00")
    assert not rate_only.duty.complete
    # The base is known, as text: not `base_unknown` (issue 10: no valid code answers it).
    assert {w.code for w in rate_only.duty.warnings} == {WarningCode.DUTY_AS_TEXT}
    # The text is in the answer, as published.
    assert [c.expression for c in rate_only.duty.components if c.kind == "base"] == [WATCH]
    priced = ask("910211", value="1000", quantity="10", unit="No.")
    # The reciprocal duty is priced ($100.00 = 10% of $1,000); the base, and so the total,
    # is not.
    assert amounts(priced) == {"mfn": None, "reciprocal": D("100.00")}
    assert priced.duty.duty_amount is None
    assert WarningCode.DUTY_AS_TEXT in codes(priced)


def test_a_known_preference_is_the_base_over_a_duty_published_as_text() -> None:
    _duty_as_text(WATCH, ["910211"])
    make_duty("Free", program="pref-kr", claim="KR", products=["910211"])
    claimed = ask("910211", claims=("KR",), value="1000", quantity="10", unit="No.")
    assert claimed.duty.base_rate == D("0.00")
    assert claimed.duty.duty_amount == D("0.00")
    assert claimed.duty.complete
    assert amounts(claimed) == {"pref-kr": D("0.00")}

"""Properties of the money path over generated duties and shipments (hypothesis).

The rules run on contexts built in memory (the engine's `decide` needs no database), so
thousands of cases cost seconds; the entry-level property (totals are the sum of the lines)
goes through the batch over HTTP in tests/engine/test_shipment_api.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.engine import shipment as money
from agreements.engine.results import Shipment
from agreements.engine.rules import Candidate, Context, available_claims, decide

ON = dt.date(2025, 9, 15)
CASES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CENT = Decimal("0.01")

_ids = iter(range(1, 10**9))

rates = st.integers(min_value=0, max_value=20_000).map(lambda c: Decimal(c) / 100)
specifics = st.one_of(
    st.none(), st.integers(min_value=1, max_value=500_000).map(lambda m: Decimal(m) / 10_000)
)
values = st.integers(min_value=1, max_value=10**11).map(lambda c: Decimal(c) / 100)
quantities = st.integers(min_value=1, max_value=10**9).map(lambda q: Decimal(q) / 1000)


@pytest.fixture(autouse=True)
def _dollars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(money.IMPORTER_CURRENCIES, "XA", "USD")


def candidate(
    *,
    rate: Decimal,
    specific: Decimal | None = None,
    kind: str = "base",
    program: str = "mfn",
    claim: str = "",
    waived_by: frozenset[str] = frozenset(),
    basis: str = "value",
) -> Candidate:
    number = next(_ids)
    return Candidate(
        rate_id=number,
        rate=rate,
        valid_from=dt.date(2025, 1, 1),
        valid_to=None,
        status="in_force",
        measure=number,
        title=f"Measure {number}",
        legal_basis="other",
        instrument="Test",
        program=program,
        kind=kind,
        origin=None,
        agreement=None,
        matched_product=None,
        excluded_origins=frozenset(),
        claim=claim,
        waived_by=waived_by,
        yields_to=frozenset(),
        basis=basis,
        expression="",
        specific_amount=specific,
        specific_currency="USD" if specific is not None else "",
        specific_unit="kg" if specific is not None else "",
    )


def context(*candidates: Candidate) -> Context:
    return Context(importer="XA", origin="XB", memberships=(), candidates=candidates, product=None)


def total(ctx: Context, claims: frozenset[str] = frozenset(), **shipment: Any) -> Any:
    return decide(ctx, ON, claims, Shipment(**shipment)).duty_amount


@CASES
@given(rate=rates, extra=rates, value=values, factor=st.integers(min_value=2, max_value=1000))
def test_an_ad_valorem_duty_is_linear_in_the_value(
    rate: Decimal, extra: Decimal, value: Decimal, factor: int
) -> None:
    ctx = context(candidate(rate=rate), candidate(rate=extra, kind="additional", program="extra"))
    one, many = total(ctx, value=value), total(ctx, value=value * factor)
    # Each of two components is rounded to cents once: at most half a cent each, so the
    # scaled amount is within a cent per component (times the factor) of the exact one.
    assert abs(many - one * factor) <= CENT * factor
    exact = (rate + extra) * value * factor / 100
    assert abs(many - exact) <= CENT


@CASES
@given(specific=specifics.filter(bool), quantity=quantities, factor=st.integers(2, 1000))
def test_a_specific_duty_is_linear_in_the_quantity(
    specific: Decimal, quantity: Decimal, factor: int
) -> None:
    ctx = context(candidate(rate=Decimal(0), specific=specific))
    one = total(ctx, value=Decimal(1), quantity=quantity, unit="kg")
    many = total(ctx, value=Decimal(1), quantity=quantity * factor, unit="kg")
    assert abs(many - specific * quantity * factor) <= CENT / 2
    assert abs(many - one * factor) <= CENT / 2 * (factor + 1)
    # The same quantity in grams or tonnes is the same duty.
    grams = total(ctx, value=Decimal(1), quantity=quantity * 1000, unit="g")
    tonnes = total(ctx, value=Decimal(1), quantity=quantity / 1000, unit="t")
    assert grams == tonnes == one


@CASES
@given(
    rate=rates,
    specific=specifics,
    extra=rates,
    all_in=rates,
    value=values,
    quantity=quantities,
)
def test_the_ad_valorem_equivalent_times_the_value_is_the_amount(
    rate: Decimal,
    specific: Decimal | None,
    extra: Decimal,
    all_in: Decimal,
    value: Decimal,
    quantity: Decimal,
) -> None:
    ctx = context(
        candidate(rate=rate, specific=specific),
        candidate(rate=extra, kind="additional", program="extra"),
        candidate(rate=all_in, kind="all_in", program="deal"),
    )
    duty = decide(ctx, ON, frozenset(), Shipment(value=value, quantity=quantity, unit="kg"))
    assert duty.complete
    assert duty.duty_amount is not None
    assert duty.ad_valorem_equivalent is not None
    assert duty.duty_amount == sum(c.duty_amount or 0 for c in duty.components)
    assert all(c.duty_amount is not None for c in duty.components)
    # The equivalent is rounded to 0.005 points: times the value, within that of the amount.
    assert abs(duty.ad_valorem_equivalent * value / 100 - duty.duty_amount) <= (
        value * Decimal("0.00005") + CENT
    )
    # The all-in measure tops the whole duty up to its rate, never above it or the rest.
    floor = money.money(all_in * value / 100)
    assert duty.duty_amount >= floor - CENT * 3


@CASES
@given(
    mfn=rates,
    mfn_specific=specifics,
    offers=st.lists(
        st.tuples(st.sampled_from(["KR", "AU", "S", "A+"]), rates, specifics), max_size=4
    ),
    border=rates,
    value=values,
    quantity=quantities,
)
def test_claiming_nothing_never_costs_less_than_the_best_claim_says(
    mfn: Decimal,
    mfn_specific: Decimal | None,
    offers: list[tuple[str, Decimal, Decimal | None]],
    border: Decimal,
    value: Decimal,
    quantity: Decimal,
) -> None:
    ctx = context(
        candidate(rate=mfn, specific=mfn_specific),
        *(
            candidate(rate=r, specific=s, program=f"pref-{code}", claim=code)
            for code, r, s in offers
        ),
        candidate(rate=border, kind="additional", program="border", waived_by=frozenset({"S"})),
    )
    shipment = Shipment(value=value, quantity=quantity, unit="kg")
    duty = decide(ctx, ON, frozenset(), shipment)
    assert duty.duty_amount is not None
    offered = available_claims(ctx, ON, frozenset(), duty, {}, shipment)
    for offer in offered:
        assert offer.saving is not None
        assert offer.saving > 0
        claimed = decide(ctx, ON, frozenset({offer.claim}), shipment).duty_amount
        assert claimed == offer.duty_amount == duty.duty_amount - offer.saving
    # No claim not offered would have lowered the duty.
    for code in {code for code, _, _ in offers} | {"S"}:
        if code not in {offer.claim for offer in offered}:
            other = decide(ctx, ON, frozenset({code}), shipment).duty_amount
            assert other is not None
            assert other >= duty.duty_amount

"""Properties that must hold for any data, checked over generated measures (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.engine import (
    Duty,
    EffectiveRate,
    Line,
    LineError,
    Scenario,
    UnknownEconomy,
    effective_rate,
    effective_rates,
    timeline,
)
from agreements.engine.results import Shipment
from agreements.models import BlocMembership, Economy
from agreements.models.choices import EconomyKind
from tests.engine.conftest import BLOC, IMPORTER, ORIGIN, OTHER, make_measure

START, END = dt.date(2025, 1, 1), dt.date(2025, 4, 1)
SPAN = (END - START).days
# Joins the bloc and leaves it inside [START, END), so membership dates are breakpoints too.
NEWCOMER = "XD"
ORIGINS = [ORIGIN, NEWCOMER]


@pytest.fixture(autouse=True)
def economies_with_a_newcomer(economies: None) -> None:
    Economy.objects.create(code=NEWCOMER, name="Test newcomer", kind=EconomyKind.COUNTRY)
    BlocMembership.objects.create(
        bloc_id=BLOC, member_id=NEWCOMER, joined_on=dt.date(2025, 2, 1), left_on=dt.date(2025, 3, 1)
    )


period = st.tuples(
    st.integers(min_value=0, max_value=12_000).map(lambda cents: str(Decimal(cents) / 100)),
    st.integers(min_value=0, max_value=SPAN - 1),
    st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
    st.sampled_from(["in_force", "in_force", "announced", "suspended"]),
)
measure_spec = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["base", "additional", "additional", "all_in"]),
        "program": st.sampled_from(["a", "b", "c"]),
        "origin": st.sampled_from([ORIGIN, NEWCOMER, BLOC, None]),
        "products": st.sampled_from([[], ["95"], ["9503"], ["950300"], ["85"], ["9503", "85"]]),
        "excluded_products": st.sampled_from([[], [], ["950300"], ["85"]]),
        "excluded_origins": st.sampled_from([[], [], [ORIGIN], [BLOC], [OTHER]]),
        "periods": st.lists(period, min_size=1, max_size=3),
    }
)
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def build(specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        rates = []
        in_force_end: int | None = 0
        for rate, offset, length, status in spec["periods"]:
            begin = START + dt.timedelta(days=offset)
            if status == "in_force":
                if in_force_end is None:
                    continue  # An open-ended in-force period leaves no room for another.
                # In-force periods of one measure may not overlap: move this one after the last.
                begin = max(begin, START + dt.timedelta(days=in_force_end))
            end = None if length is None else begin + dt.timedelta(days=length)
            if status == "in_force":
                in_force_end = None if end is None else (end - START).days
            rates.append((rate, begin.isoformat(), end.isoformat() if end else None, status))
        unique = {(r[1], r[3]): r for r in rates}  # One period per (start, status).
        measure = make_measure(
            kind=spec["kind"],
            program=spec["program"],
            origin=spec["origin"],
            products=spec["products"],
            excluded_products=spec.get("excluded_products", []),
            excluded_origins=spec.get("excluded_origins", []),
            rates=list(unique.values()),
        )
        if spec.get("claim") or spec.get("waived_by"):
            measure.claim = spec.get("claim", "")
            measure.waived_by = spec.get("waived_by", [])
            measure.save()


@HYPOTHESIS
@given(
    specs=st.lists(measure_spec, min_size=1, max_size=6),
    scenario=st.sampled_from(Scenario),
    origin=st.sampled_from(ORIGINS),
)
def test_answers_are_consistent_and_the_timeline_agrees_with_point_lookups(
    specs: list[dict[str, Any]], scenario: Scenario, origin: str
) -> None:
    with transaction.atomic():
        build(specs)
        result = timeline(
            importer=IMPORTER, origin=origin, hs="950300", start=START, end=END, scenario=scenario
        )
        assert result.periods[0].valid_from == START
        assert result.periods[-1].valid_to == END
        for before, after in zip(result.periods, result.periods[1:], strict=False):
            assert before.valid_to == after.valid_from
            assert before.duty != after.duty  # Equal neighbours would have been merged.
        for current in result.periods:
            duty = current.duty
            applied = [c.applied_rate for c in duty.components if c.kind != "base"]
            assert duty.additional_rate == sum(applied, Decimal("0.00"))
            assert all(c.applied_rate >= 0 for c in duty.components)
            if duty.base_rate is None:
                assert duty.total_rate is None
            else:
                assert duty.total_rate == duty.base_rate + duty.additional_rate
            day = current.valid_from
            while day < current.valid_to:  # Every date, so an off-by-one edge cannot hide.
                point = effective_rate(
                    importer=IMPORTER, origin=origin, hs="950300", on=day, scenario=scenario
                ).duty
                assert point == duty, day
                day += dt.timedelta(days=1)
        transaction.set_rollback(True)


# Few programs, origins, scopes, rates and dates, so generated measures often tie: within a
# program on specificity, and across programs on the lowest base rate.
tying_period = st.tuples(
    st.sampled_from(["0", "5", "15"]),
    st.sampled_from([0, 30]),
    st.one_of(st.none(), st.just(60)),
    st.sampled_from(["in_force", "announced"]),
)
tying_spec = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["additional", "all_in", "base"]),
        "program": st.sampled_from(["a", "b"]),
        "origin": st.sampled_from([ORIGIN, None]),
        "products": st.sampled_from([[], ["9503"]]),
        "periods": st.lists(tying_period, min_size=1, max_size=2),
    }
)


@HYPOTHESIS
@given(
    specs=st.lists(st.one_of(tying_spec, tying_spec, measure_spec), min_size=2, max_size=6),
    on=st.integers(0, SPAN - 1),
    origin=st.sampled_from(ORIGINS),
    scenario=st.sampled_from(Scenario),
)
def test_the_answer_does_not_depend_on_the_order_measures_were_written(
    specs: list[dict[str, Any]], on: int, origin: str, scenario: Scenario
) -> None:
    day = START + dt.timedelta(days=on)
    answers = []
    for ordered in (specs, list(reversed(specs))):
        with transaction.atomic():
            build(ordered)
            duty = effective_rate(
                importer=IMPORTER, origin=origin, hs="950300", on=day, scenario=scenario
            ).duty
            answers.append((duty.base_rate, duty.additional_rate, duty.total_rate, content(duty)))
            transaction.set_rollback(True)
    assert answers[0] == answers[1]


def content(duty: Duty) -> list[tuple[str, ...]]:
    """The components without ids, titles and instruments, which differ between two builds
    of one set; as sorted text, because the listing order follows ids."""
    fields = [
        *("legal_basis", "program", "kind", "rate"),
        *("applied_rate", "valid_from", "valid_to", "matched_product"),
    ]
    return sorted(tuple(str(getattr(c, name)) for name in fields) for c in duty.components)


# A whole entry: lines on several codes, origins (one unknown), claims and values, decided
# from the entry's shared loads and caches, each equal to its own single lookup. Periods are
# long and scopes, exclusions and claims frequent, so most measures concern most lines.
UNKNOWN = "XZ"  # No economy of the tests has this code.
entry_period = st.tuples(
    st.sampled_from(["0", "2.5", "10", "25"]),
    st.sampled_from([0, 0, 40]),
    st.one_of(st.none(), st.just(60)),
    st.sampled_from(["in_force", "in_force", "announced"]),
)
entry_measure = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["base", "base", "additional", "all_in"]),
        "program": st.sampled_from(["a", "b", "c"]),
        "origin": st.sampled_from([None, None, ORIGIN, NEWCOMER, BLOC, OTHER]),
        "products": st.sampled_from(
            [[], [], ["95"], ["9503"], ["950300"], ["85"], ["95", "950300"]]
        ),
        "excluded_products": st.sampled_from([[], [], ["950300"], ["9503"], ["85"]]),
        "excluded_origins": st.sampled_from([[], [], [ORIGIN], [BLOC], [OTHER]]),
        "periods": st.lists(entry_period, min_size=1, max_size=2),
        "claim": st.sampled_from(["", "", "K"]),
        "waived_by": st.sampled_from([[], [], ["S"]]),
    }
)
entry_line = st.tuples(
    st.sampled_from(["950300", "950300", "9503", "95", "854231", "0101"]),
    st.sampled_from([ORIGIN, ORIGIN, NEWCOMER, OTHER, UNKNOWN]),
    st.sampled_from([(), ("K",), ("S",), ("K", "S")]),
    st.one_of(st.none(), st.integers(0, 10**7).map(lambda cents: Decimal(cents) / 100)),
)


@HYPOTHESIS
@given(
    specs=st.lists(entry_measure, min_size=1, max_size=8),
    lines=st.lists(entry_line, min_size=4, max_size=16),
    on=st.sampled_from([0, 20, 50, 80]),
    scenario=st.sampled_from(Scenario),
)
def test_every_line_of_an_entry_equals_its_single_lookup(
    specs: list[dict[str, Any]],
    lines: list[tuple[str, str, tuple[str, ...], Decimal | None]],
    on: int,
    scenario: Scenario,
) -> None:
    day = START + dt.timedelta(days=on)
    entry = [
        Line(
            importer=IMPORTER,
            origin=origin,
            hs=hs,
            claims=claims,
            shipment=None if value is None else Shipment(value=value),
        )
        for hs, origin, claims, value in lines
    ]
    with transaction.atomic():
        build(specs)
        answers = effective_rates(entry, on=day, scenario=scenario)
        assert len(answers) == len(entry)
        for line, answered in zip(entry, answers, strict=True):
            if line.origin == UNKNOWN:
                with pytest.raises(UnknownEconomy) as raised:
                    single(line, day, scenario)
                assert answered == LineError(raised.value.field, str(raised.value))
            else:
                assert answered == single(line, day, scenario), line
        transaction.set_rollback(True)


def single(line: Line, on: dt.date, scenario: Scenario) -> EffectiveRate:
    return effective_rate(
        importer=line.importer,
        origin=line.origin,
        hs=line.hs,
        on=on,
        scenario=scenario,
        claims=line.claims,
        shipment=line.shipment,
    )

"""Properties that must hold for any data, checked over generated measures (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.engine import Scenario, effective_rate, timeline
from tests.engine.conftest import BLOC, ORIGIN, make_measure

pytestmark = pytest.mark.usefixtures("economies")
START, END = dt.date(2025, 1, 1), dt.date(2025, 4, 1)
SPAN = (END - START).days

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
        "origin": st.sampled_from([ORIGIN, BLOC, None]),
        "products": st.sampled_from([[], ["95"], ["9503"], ["950300"], ["85"]]),
        "periods": st.lists(period, min_size=1, max_size=3),
    }
)
HYPOTHESIS = settings(
    max_examples=40,
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
        make_measure(
            kind=spec["kind"],
            program=spec["program"],
            origin=spec["origin"],
            products=spec["products"],
            rates=list(unique.values()),
        )


def snapshot(on: dt.date, scenario: Scenario) -> tuple[Any, ...]:
    duty = effective_rate(importer="XA", origin=ORIGIN, hs="950300", on=on, scenario=scenario).duty
    return (
        duty.base_rate,
        duty.additional_rate,
        duty.total_rate,
        tuple((c.title, c.applied_rate) for c in duty.components),
    )


@HYPOTHESIS
@given(specs=st.lists(measure_spec, min_size=1, max_size=6), scenario=st.sampled_from(Scenario))
def test_answers_are_consistent_and_the_timeline_agrees_with_point_lookups(
    specs: list[dict[str, Any]], scenario: Scenario
) -> None:
    with transaction.atomic():
        build(specs)
        result = timeline(
            importer="XA", origin=ORIGIN, hs="950300", start=START, end=END, scenario=scenario
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
            while day < current.valid_to:
                point = effective_rate(
                    importer="XA", origin=ORIGIN, hs="950300", on=day, scenario=scenario
                ).duty
                assert point == duty, day
                day += dt.timedelta(days=7)
        transaction.set_rollback(True)


# Few programs, origins and scopes, so generated measures often tie within a program.
tying_spec = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["additional", "all_in", "base"]),
        "program": st.just("a"),
        "origin": st.sampled_from([ORIGIN, None]),
        "products": st.sampled_from([[], ["9503"]]),
        "periods": st.lists(period, min_size=1, max_size=2),
    }
)


@HYPOTHESIS
@given(
    specs=st.lists(st.one_of(measure_spec, tying_spec), min_size=2, max_size=6),
    on=st.integers(0, SPAN - 1),
)
def test_the_answer_does_not_depend_on_the_order_measures_were_written(
    specs: list[dict[str, Any]], on: int
) -> None:
    day = START + dt.timedelta(days=on)
    answers = []
    for ordered in (specs, list(reversed(specs))):
        with transaction.atomic():
            build(ordered)
            duty = effective_rate(importer="XA", origin=ORIGIN, hs="950300", on=day).duty
            answers.append((duty.base_rate, duty.additional_rate, duty.total_rate))
            transaction.set_rollback(True)
    assert answers[0] == answers[1]

"""Each rule of API.md's rate engine on synthetic data, with its boundaries and ties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from agreements.engine import Scenario, UnknownEconomy, effective_rate, timeline
from tests.engine.conftest import BLOC, IMPORTER, ORIGIN, OTHER, make_measure

pytestmark = pytest.mark.usefixtures("economies")
D = dt.date


def answer(
    on: str = "2025-06-01",
    hs: str = "950300",
    origin: str = ORIGIN,
    scenario: Scenario = Scenario.IN_FORCE,
) -> tuple[str | None, str, str | None, list[str]]:
    result = effective_rate(
        importer=IMPORTER, origin=origin, hs=hs, on=dt.date.fromisoformat(on), scenario=scenario
    )
    duty = result.duty
    return (
        None if duty.base_rate is None else str(duty.base_rate),
        str(duty.additional_rate),
        None if duty.total_rate is None else str(duty.total_rate),
        [f"{c.title}:{c.applied_rate}" for c in duty.components],
    )


def test_periods_are_half_open() -> None:
    m = make_measure(rates=[("10", "2025-01-01", "2025-06-01")])
    assert answer("2024-12-31")[1] == "0.00"
    assert answer("2025-01-01")[3] == [f"{m.title}:10.00"]  # First day applies.
    assert answer("2025-05-31")[1] == "10.00"
    assert answer("2025-06-01")[1] == "0.00"  # valid_to is the first day it no longer applies.


def test_open_ended_period() -> None:
    make_measure(rates=[("7.5", "2025-01-01", None)])
    assert answer("2099-01-01")[1] == "7.50"


def test_no_base_means_unknown_base_and_total() -> None:
    make_measure(rates=[("25", "2025-01-01", None)])
    assert answer()[:3] == (None, "25.00", None)


def test_the_lowest_base_rate_is_the_base_and_only_it_is_listed() -> None:
    mfn = make_measure(kind="base", program="mfn", origin=None, rates=[("5", "2025-01-01", None)])
    make_measure(kind="base", program="fta", rates=[("8", "2025-01-01", None)])
    base, additional, total, components = answer()
    assert (base, additional, total) == ("5.00", "0.00", "5.00")
    assert components == [f"{mfn.title}:5.00"]


def test_all_in_tops_up_to_its_rate() -> None:
    make_measure(kind="base", program="mfn", origin=None, rates=[("4", "2025-01-01", None)])
    make_measure(kind="all_in", rates=[("15", "2025-01-01", None)])
    assert answer()[:3] == ("4.00", "11.00", "15.00")


def test_all_in_adds_nothing_when_the_base_is_higher() -> None:
    make_measure(kind="base", program="mfn", origin=None, rates=[("16.5", "2025-01-01", None)])
    make_measure(kind="all_in", rates=[("15", "2025-01-01", None)])
    assert answer()[:3] == ("16.50", "0.00", "16.50")


def test_all_in_with_an_unknown_base_adds_its_full_rate() -> None:
    make_measure(kind="all_in", rates=[("15", "2025-01-01", None)])
    assert answer()[:3] == (None, "15.00", None)


def test_additional_measures_of_different_programs_stack() -> None:
    make_measure(program="a", rates=[("10", "2025-01-01", None)])
    make_measure(program="b", rates=[("20", "2025-01-01", None)])
    make_measure(program="c", origin=None, rates=[("5", "2025-01-01", None)])
    assert answer()[1] == "35.00"


def test_within_a_program_a_country_beats_a_bloc_beats_all_origins() -> None:
    everyone = make_measure(origin=None, rates=[("10", "2025-01-01", None)])
    bloc = make_measure(origin=BLOC, rates=[("20", "2025-01-01", None)])
    country = make_measure(origin=ORIGIN, rates=[("30", "2025-01-01", "2025-07-01")])
    assert answer("2025-06-01")[3] == [f"{country.title}:30.00"]
    assert answer("2025-07-01")[3] == [f"{bloc.title}:20.00"]  # The country period ended.
    assert answer("2025-07-01", origin=OTHER)[3] == [f"{everyone.title}:10.00"]


def test_within_a_program_the_longest_prefix_wins_after_origin() -> None:
    make_measure(products=["95"], rates=[("10", "2025-01-01", None)])
    heading = make_measure(products=["9503"], rates=[("20", "2025-01-01", None)])
    make_measure(origin=None, products=["950300"], rates=[("30", "2025-01-01", None)])
    # The origin-specific measure on 9503 beats the all-origins one on 950300.
    assert answer()[3] == [f"{heading.title}:20.00"]


def test_equal_specificity_goes_to_the_later_start_then_the_higher_rate() -> None:
    make_measure(rates=[("10", "2025-01-01", None)])
    higher = make_measure(rates=[("99", "2025-01-01", None)])
    assert answer()[3] == [f"{higher.title}:99.00"]
    newer = make_measure(rates=[("5", "2025-03-01", None)])
    assert answer()[3] == [f"{newer.title}:5.00"]
    assert answer("2025-02-01")[3] == [f"{higher.title}:99.00"]


@pytest.mark.parametrize("reverse", [False, True])
def test_a_tie_is_decided_the_same_whatever_the_insertion_order(reverse: bool) -> None:
    rates = ["10", "99", "40"]
    for rate in reversed(rates) if reverse else rates:
        make_measure(rates=[(rate, "2025-01-01", None)])
    assert answer()[1] == "99.00"


def test_product_scope_and_exclusions() -> None:
    make_measure(products=["8542"], rates=[("50", "2025-01-01", None)])
    make_measure(program="q", excluded_products=["9503"], rates=[("7", "2025-01-01", None)])
    assert answer(hs="854231")[1] == "57.00"
    assert answer(hs="85")[1] == "7.00"  # A shorter code is not covered by a longer prefix.
    assert answer(hs="950300")[1] == "0.00"  # Excluded by prefix.
    assert answer(hs="95")[1] == "7.00"  # 9503 is not a prefix of 95.


def test_excluded_origins_of_an_all_origins_measure() -> None:
    make_measure(origin=None, excluded_origins=[ORIGIN], rates=[("10", "2025-01-01", None)])
    assert answer(origin=ORIGIN)[1] == "0.00"
    assert answer(origin=OTHER)[1] == "10.00"


def test_excluding_a_bloc_excludes_its_members_only_while_they_are_members() -> None:
    make_measure(origin=None, excluded_origins=[BLOC], rates=[("10", "2019-01-01", None)])
    assert answer("2025-06-01")[1] == "0.00"
    assert answer("2019-06-01")[1] == "10.00"  # Not yet a member.
    assert answer("2030-01-01")[1] == "10.00"  # Left on 2030-01-01.


def test_a_bloc_origin_matches_only_during_membership() -> None:
    make_measure(origin=BLOC, rates=[("20", "2015-01-01", None)])
    assert answer("2019-12-31")[1] == "0.00"
    assert answer("2020-01-01")[1] == "20.00"
    assert answer("2029-12-31")[1] == "20.00"
    assert answer("2030-01-01")[1] == "0.00"
    assert answer("2025-06-01", origin=OTHER)[1] == "0.00"


def test_another_importer_and_suspended_periods_never_count() -> None:
    make_measure(importer=OTHER, rates=[("40", "2025-01-01", None)])
    make_measure(rates=[("30", "2025-01-01", None, "suspended")])
    assert answer()[1] == "0.00"


def test_announced_periods_count_only_in_the_announced_scenario_and_take_precedence() -> None:
    make_measure(rates=[("10", "2025-01-01", None), ("25", "2025-06-01", None, "announced")])
    assert answer("2025-06-01")[1] == "10.00"
    assert answer("2025-06-01", scenario=Scenario.ANNOUNCED)[1] == "25.00"
    assert answer("2025-05-31", scenario=Scenario.ANNOUNCED)[1] == "10.00"


def test_the_most_specific_known_product_is_described() -> None:
    # A national line absent from the nomenclature is described by its subheading.
    result = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="9503001234", on=D(2025, 1, 1))
    assert result.product is not None
    assert result.product.code == "950300"


@pytest.mark.parametrize(
    ("field", "kwargs"), [("importer", {"importer": "XZ"}), ("origin", {"origin": "XZ"})]
)
def test_an_unknown_economy_is_named(field: str, kwargs: dict[str, Any]) -> None:
    arguments = {"importer": IMPORTER, "origin": ORIGIN, "hs": "95", "on": D(2025, 1, 1), **kwargs}
    with pytest.raises(UnknownEconomy) as raised:
        effective_rate(**arguments)
    assert raised.value.field == field


def test_a_lookup_costs_at_most_three_queries_whatever_the_data(
    django_assert_max_num_queries: Any,
) -> None:
    for number in range(40):
        make_measure(
            program=f"p{number % 7}",
            origin=[ORIGIN, BLOC, None][number % 3],
            excluded_origins=[OTHER] if number % 3 == 2 else [],
            products=[["95", "9503", "950300"][number % 3]],
            rates=[
                (str(number), "2025-01-01", "2025-06-01"),
                (str(number + 1), "2025-06-01", None),
            ],
        )
    with django_assert_max_num_queries(3):
        result = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="950300", on=D(2025, 7, 1))
    assert len(result.duty.components) == 7


def test_identical_measures_in_a_program_go_to_the_lowest_measure_id() -> None:
    first = make_measure(rates=[("10", "2025-01-01", None)])
    make_measure(rates=[("10", "2025-01-01", None)])
    result = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="950300", on=D(2025, 6, 1))
    assert [c.measure for c in result.duty.components] == [first.pk]


@pytest.mark.parametrize("reverse", [False, True])
def test_equal_lowest_base_rates_go_to_the_program_first_by_slug(reverse: bool) -> None:
    programs = ["mfn", "gsp", "zfta"]
    for program in reversed(programs) if reverse else programs:
        make_measure(kind="base", program=program, rates=[("3", "2025-01-01", None)])
    result = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="950300", on=D(2025, 6, 1))
    assert [c.program for c in result.duty.components] == ["gsp"]
    assert result.duty.base_rate == result.duty.total_rate == Decimal("3.00")


def test_within_a_program_specificity_comes_before_the_lowest_base() -> None:
    # One program: the origin-specific base replaces the general one, even if it is higher.
    make_measure(kind="base", program="mfn", origin=None, rates=[("5", "2025-01-01", None)])
    make_measure(kind="base", program="mfn", rates=[("8", "2025-01-01", None)])
    assert answer()[:3] == ("8.00", "0.00", "8.00")
    # In another program it is an alternative, and the lower rate is claimed.
    make_measure(kind="base", program="fta", rates=[("2", "2025-01-01", None)])
    assert answer()[:3] == ("2.00", "0.00", "2.00")


def test_a_more_specific_measure_that_excludes_the_product_leaves_the_next_one() -> None:
    make_measure(origin=None, rates=[("10", "2025-01-01", None)])
    make_measure(excluded_products=["9503"], rates=[("30", "2025-01-01", None)])
    assert answer(hs="950300")[1] == "10.00"
    assert answer(hs="850300")[1] == "30.00"


def test_excluded_origins_matter_only_on_all_origins_measures() -> None:
    # A measure naming its origin is not narrowed by its excluded origins (API.md: the
    # exclusion qualifies `origin: null`).
    make_measure(origin=BLOC, excluded_origins=[ORIGIN], rates=[("20", "2025-01-01", None)])
    assert answer()[1] == "20.00"


def test_announced_precedence_is_per_measure() -> None:
    # An announced period replaces an in-force period of its own measure only; another
    # program's in-force measure still stacks.
    make_measure(program="a", rates=[("10", "2025-01-01", None)])
    make_measure(
        program="b",
        rates=[("20", "2025-01-01", "2025-07-01"), ("5", "2025-06-01", "2025-07-01", "announced")],
    )
    assert answer("2025-06-15", scenario=Scenario.ANNOUNCED)[1] == "15.00"
    assert answer("2025-06-15")[1] == "30.00"
    assert answer("2025-07-01", scenario=Scenario.ANNOUNCED)[1] == "10.00"  # Both ended.


def test_an_announced_period_ends_like_any_other() -> None:
    make_measure(
        rates=[("10", "2025-01-01", None), ("25", "2025-06-01", "2025-06-10", "announced")]
    )
    assert answer("2025-06-09", scenario=Scenario.ANNOUNCED)[1] == "25.00"
    assert answer("2025-06-10", scenario=Scenario.ANNOUNCED)[1] == "10.00"


def test_base_known_and_the_shortcuts_follow_the_duty() -> None:
    make_measure(rates=[("25", "2025-01-01", None)])
    unknown = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="950300", on=D(2025, 6, 1))
    assert not unknown.duty.base_known
    assert (unknown.duty.base_rate, unknown.duty.total_rate) == (None, None)
    make_measure(kind="base", program="mfn", rates=[("2.5", "2025-01-01", None)])
    known = effective_rate(importer=IMPORTER, origin=ORIGIN, hs="950300", on=D(2025, 6, 1))
    assert known.duty.base_known
    assert (known.duty.base_rate, known.duty.additional_rate, known.duty.total_rate) == (
        Decimal("2.50"),
        Decimal("25.00"),
        Decimal("27.50"),
    )
    assert known.duty.components == known.duty.components


def test_the_timeline_breaks_where_bloc_membership_starts_and_ends() -> None:
    make_measure(origin=BLOC, rates=[("20", "2015-01-01", None)])
    result = timeline(
        importer=IMPORTER, origin=ORIGIN, hs="950300", start=D(2019, 1, 1), end=D(2031, 1, 1)
    )
    assert [(p.valid_from, p.valid_to, p.duty.additional_rate) for p in result.periods] == [
        (D(2019, 1, 1), D(2020, 1, 1), Decimal("0.00")),
        (D(2020, 1, 1), D(2030, 1, 1), Decimal("20.00")),
        (D(2030, 1, 1), D(2031, 1, 1), Decimal("0.00")),
    ]


def test_the_timeline_merges_neighbours_with_equal_answers() -> None:
    country = make_measure(rates=[("30", "2025-01-01", None)])
    # Loaded as a candidate, but always beaten in its program: its dates change nothing.
    make_measure(origin=None, rates=[("10", "2025-02-01", "2025-03-01")])
    result = timeline(
        importer=IMPORTER, origin=ORIGIN, hs="950300", start=D(2025, 1, 1), end=D(2025, 6, 1)
    )
    assert [(p.valid_from, p.valid_to) for p in result.periods] == [(D(2025, 1, 1), D(2025, 6, 1))]
    assert [c.measure for c in result.periods[0].duty.components] == [country.pk]


def test_back_to_back_rate_rows_stay_separate_periods() -> None:
    # Equal rates, but a different rate period (its id and dates are in the components).
    make_measure(rates=[("10", "2025-01-01", "2025-03-01"), ("10", "2025-03-01", "2025-05-01")])
    result = timeline(
        importer=IMPORTER, origin=ORIGIN, hs="950300", start=D(2025, 1, 1), end=D(2025, 6, 1)
    )
    assert [(p.valid_from, p.valid_to, p.duty.additional_rate) for p in result.periods] == [
        (D(2025, 1, 1), D(2025, 3, 1), Decimal("10.00")),
        (D(2025, 3, 1), D(2025, 5, 1), Decimal("10.00")),
        (D(2025, 5, 1), D(2025, 6, 1), Decimal("0.00")),
    ]


def test_a_timeline_costs_at_most_three_queries_whatever_its_span(
    django_assert_max_num_queries: Any,
) -> None:
    for number in range(30):
        make_measure(
            program=f"p{number % 5}",
            origin=[ORIGIN, BLOC, None][number % 3],
            excluded_origins=[OTHER] if number % 3 == 2 else [],
            rates=[(str(number), f"{2000 + number}-01-01", f"{2001 + number}-01-01")],
        )
    with django_assert_max_num_queries(3):
        result = timeline(
            importer=IMPORTER, origin=ORIGIN, hs="950300", start=D(1990, 1, 1), end=D(2040, 1, 1)
        )
    assert len(result.periods) > 30

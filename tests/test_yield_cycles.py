"""The cycle rule of `yields_to` on plain data (agreements.models.yields): a cycle counts
only on a day all its steps' measures have a period."""

from __future__ import annotations

import datetime as dt
import itertools

from agreements.models.yields import Yielding, find_cycle

D = dt.date


def yielding(program: str, to: str, start: dt.date, end: dt.date | None = None) -> Yielding:
    return Yielding(f"{program}-measure", program, frozenset({to}), ((start, end),))


def test_a_cycle_is_found_on_the_first_day_all_its_steps_run() -> None:
    cycle = find_cycle(
        [
            yielding("a", "b", D(2025, 1, 1)),
            yielding("b", "c", D(2025, 2, 1)),
            yielding("c", "a", D(2025, 3, 1)),
        ]
    )
    assert cycle is not None
    assert cycle.day == D(2025, 3, 1)
    assert cycle.steps == (
        ("a", "a-measure", "b"),
        ("b", "b-measure", "c"),
        ("c", "c-measure", "a"),
    )


def test_steps_that_overlap_in_pairs_but_never_all_at_once_are_no_cycle() -> None:
    assert (
        find_cycle(
            [
                yielding("a", "b", D(2025, 1, 1), D(2025, 3, 1)),
                yielding("b", "c", D(2025, 2, 1), D(2025, 4, 1)),
                yielding("c", "a", D(2025, 3, 1), D(2025, 5, 1)),
            ]
        )
        is None
    )


def test_a_period_ends_the_day_before_its_valid_to() -> None:
    until = yielding("a", "b", D(2025, 1, 1), D(2025, 6, 4))
    assert find_cycle([until, yielding("b", "a", D(2025, 6, 4))]) is None
    assert find_cycle([until, yielding("b", "a", D(2025, 6, 3))]) is not None


def test_through_finds_only_cycles_that_start_with_its_step() -> None:
    stored = [yielding("a", "b", D(2025, 1, 1)), yielding("b", "a", D(2025, 1, 1))]
    # An old cycle elsewhere is not this write's doing.
    assert find_cycle(stored, through=yielding("z", "a", D(2025, 1, 1))) is None
    cycle = find_cycle(stored[:1], through=yielding("b", "a", D(2025, 1, 1)))
    assert cycle is not None
    assert [step[0] for step in cycle.steps] == ["b", "a"]


def test_a_measure_without_periods_closes_no_cycle() -> None:
    stored = [yielding("a", "b", D(2025, 1, 1))]
    assert find_cycle(stored, through=Yielding("b-measure", "b", frozenset({"a"}), ())) is None


def test_a_longer_chain_reaches_back() -> None:
    programs = [f"p{n}" for n in range(10)]
    stored = [yielding(p, q, D(2025, 1, 1)) for p, q in itertools.pairwise(programs)]
    cycle = find_cycle(stored, through=yielding("p9", "p0", D(2025, 1, 1)))
    assert cycle is not None
    assert len(cycle.steps) == 10

"""Programs that would yield to each other in a cycle (API.md: "Cycles are refused on write").

The rate engine decides from the bottom up whether a program stands (rule 4,
`agreements.engine.rules`): a measure of program P that `yields_to` Q gives way where a
measure of Q applies, and that one may itself yield. In a cycle (P yields to Q and Q to P,
directly or through others) there is no bottom: which measure applies would depend on the
order the engine happened to look in.

What the engine sees is the graph of one day, of one importer: the measures with a period
on that day. A cycle is therefore refused only where its measures have periods on a common
day, counting in-force and announced periods (the announced scenario applies both) and never
suspended ones. The shipped US data needs that distinction: until 2025-06-04 the Section 232
steel and aluminium duties on Canada and Mexico yield to the border duty, and from that day
the border duty yields to them (fixtures/us/measures/s232_s301.json, the notes of the
`...-until-2025-06-04` measures): the two programs yield to each other, never on one day.

`yields_content_to` is left out. It never takes a measure off; it only changes what an
applied measure is charged on, decided after rule 4 from the measures that apply, so a loop
through it leaves the engine nothing to decide in a circle.

Plain data in, plain data out: the models and the loader read the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A period as the rates store it: half-open, `None` for open-ended.
Period = tuple[dt.date, dt.date | None]


@dataclass(frozen=True)
class Yielding:
    """One measure's `yields_to`, with the periods on which the engine can meet it."""

    measure: str  # Its slug, to name it in a message.
    program: str
    yields_to: frozenset[str]
    periods: tuple[Period, ...]

    def on(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or day < end) for start, end in self.periods)


@dataclass(frozen=True)
class YieldCycle:
    """A cycle on `day`: each step is (program, the measure of it that yields, program yielded
    to); the last step leads back to the first program."""

    day: dt.date
    steps: tuple[tuple[str, str, str], ...]

    def __str__(self) -> str:
        path = " -> ".join([self.steps[0][0], *(to for _, _, to in self.steps)])
        who = "; ".join(
            f"measure {measure} of {program} yields to {to}" for program, measure, to in self.steps
        )
        return (
            f"On {self.day} programs would yield to each other in a cycle: {path} ({who}). "
            "The rate engine could not tell which of them applies."
        )


def find_cycle(
    yieldings: Iterable[Yielding], *, through: Yielding | None = None
) -> YieldCycle | None:
    """The first cycle on any day among `yieldings`; with `through`, the first one that
    starts with a step of `through` (the measure being written: a graph that had no cycle
    can only get one through it).

    Only the first day of each period needs a look: on a day with a cycle, the latest start
    among the periods that carry its steps is a day on which they all still run.
    """
    others = list(yieldings)
    everyone = [*others, through] if through is not None else others
    starts = {start for y in everyone for start, _ in y.periods}
    days = sorted(day for day in starts if through is None or through.on(day))
    for day in days:
        graph: dict[str, list[tuple[str, str]]] = {}
        for yielding in sorted((y for y in everyone if y.on(day)), key=lambda y: y.measure):
            for to in sorted(yielding.yields_to):
                graph.setdefault(yielding.program, []).append((to, yielding.measure))
        steps = _cycle_through(graph, through) if through is not None else _any_cycle(graph)
        if steps:
            return YieldCycle(day, tuple(steps))
    return None


Step = tuple[str, str, str]


def _cycle_through(graph: dict[str, list[tuple[str, str]]], through: Yielding) -> list[Step]:
    for to in sorted(through.yields_to):
        path = _path(graph, to, through.program, set())
        if path is not None:
            return [(through.program, through.measure, to), *path]
    return []


def _path(
    graph: dict[str, list[tuple[str, str]]], start: str, goal: str, seen: set[str]
) -> list[Step] | None:
    """Steps from `start` to `goal` (none when they are the same program)."""
    if start == goal:
        return []
    seen.add(start)
    for to, measure in graph.get(start, ()):
        if to in seen and to != goal:
            continue
        rest = _path(graph, to, goal, seen)
        if rest is not None:
            return [(start, measure, to), *rest]
    return None


def _any_cycle(graph: dict[str, list[tuple[str, str]]]) -> list[Step]:
    done: set[str] = set()
    for program in sorted(graph):
        if program in done:
            continue
        stack: list[Step] = []
        steps = _visit(graph, program, stack, {program}, done)
        if steps:
            return steps
    return []


def _visit(
    graph: dict[str, list[tuple[str, str]]],
    program: str,
    stack: list[Step],
    open_: set[str],
    done: set[str],
) -> list[Step]:
    for to, measure in graph.get(program, ()):
        step = (program, measure, to)
        if to in open_:
            # Back to a program still being explored: the cycle is the stack from there.
            first = next(i for i, s in enumerate([*stack, step]) if s[0] == to)
            return [*stack, step][first:]
        if to in done:
            continue
        open_.add(to)
        found = _visit(graph, to, [*stack, step], open_, done)
        if found:
            return found
        open_.discard(to)
        done.add(to)
    done.add(program)
    return []


def yieldings_from(
    measures: Iterable[tuple[int, str, str, Sequence[str]]],
    periods: Iterable[tuple[int, dt.date, dt.date | None]],
) -> dict[int, Yielding]:
    """Yieldings by measure id from rows (id, slug, program, yields_to) and the periods
    (measure id, valid_from, valid_to) that count."""
    by_measure: dict[int, list[Period]] = {}
    for measure_id, start, end in periods:
        by_measure.setdefault(measure_id, []).append((start, end))
    return {
        pk: Yielding(slug, program, frozenset(yields_to), tuple(by_measure.get(pk, ())))
        for pk, slug, program, yields_to in measures
    }

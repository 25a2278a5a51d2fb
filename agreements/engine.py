"""The rate engine: the duty on product P from origin O entering importer I on date D, and why.

Plain typed functions, no DRF: the API, the admin and the `effective_rate` command call them.
A lookup loads everything it could need in at most three queries (the economies with the
origin's bloc memberships and the product; the candidate rate periods, matched to the HS code
in SQL; the candidates' excluded origins, only when one could apply) and decides in Python,
so its cost follows the rows that match, not the size of the tables.

The rules are API.md's "The rate engine", in order:
1. within one program only the most specific applicable measure applies: a country origin
   beats a bloc, a bloc beats all origins, then the longest matching product prefix wins;
   equal specificity goes to the period that started later, then to the higher rate, then
   to the kind (the measure id decides only between otherwise identical rows), so the answer
   never depends on the order in which rows were written;
2. of the applicable `base` measures the lowest rate is the base, else the base is unknown;
3. `additional` adds its rate; `all_in` adds max(0, rate - base), or its full rate when the
   base is unknown (and then the total is unknown too).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from agreements import rate_queries as sql
from agreements.models.choices import MeasureKind, RateStatus
from agreements.validators import hs_prefixes

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class Scenario(StrEnum):
    """Which rate periods count: those in force, or also those only announced."""

    IN_FORCE = "in_force"
    ANNOUNCED = "announced"


class UnknownEconomy(LookupError):
    """An importer or origin code that is well formed but not in the economies table."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"Unknown economy code {code!r}.")
        self.field = field
        self.code = code


@dataclass(frozen=True)
class ProductRef:
    code: str
    description: str


@dataclass(frozen=True)
class Component:
    """One applied measure: what it charges and what it adds to the total."""

    measure: int
    rate_id: int
    title: str
    legal_basis: str
    instrument: str
    program: str
    kind: str
    rate: Decimal
    applied_rate: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    agreement: str | None
    matched_product: str | None


@dataclass(frozen=True)
class Duty:
    """The answer for one date. `base_rate` and `total_rate` are None when no base applies."""

    base_rate: Decimal | None
    additional_rate: Decimal
    total_rate: Decimal | None
    components: tuple[Component, ...]


@dataclass(frozen=True)
class EffectiveRate:
    importer: str
    origin: str
    hs: str
    date: dt.date
    scenario: Scenario
    product: ProductRef | None
    duty: Duty


@dataclass(frozen=True)
class Period:
    """A stretch [valid_from, valid_to) of the timeline over which the answer is constant."""

    valid_from: dt.date
    valid_to: dt.date
    duty: Duty


@dataclass(frozen=True)
class Timeline:
    importer: str
    origin: str
    hs: str
    start: dt.date
    end: dt.date
    scenario: Scenario
    product: ProductRef | None
    periods: tuple[Period, ...]


@dataclass(frozen=True)
class _Membership:
    bloc: str
    joined_on: dt.date
    left_on: dt.date | None

    def covers(self, on: dt.date) -> bool:
        return self.joined_on <= on and (self.left_on is None or on < self.left_on)


@dataclass(frozen=True)
class _Candidate:
    """A rate period of a measure that matches the importer, the origin and the HS code."""

    rate_id: int
    rate: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    status: str
    measure: int
    title: str
    legal_basis: str
    instrument: str
    program: str
    kind: str
    origin: str | None
    agreement: str | None
    matched_product: str | None
    excluded_origins: frozenset[str]

    def covers(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


@dataclass(frozen=True)
class _Context:
    origin: str
    memberships: tuple[_Membership, ...]
    candidates: tuple[_Candidate, ...]
    product: ProductRef | None


def counted_statuses(scenario: Scenario) -> list[str]:
    if scenario == Scenario.ANNOUNCED:
        return [RateStatus.IN_FORCE, RateStatus.ANNOUNCED]
    return [RateStatus.IN_FORCE]


def _load(
    *, importer: str, origin: str, hs: str, start: dt.date, end: dt.date, scenario: Scenario
) -> _Context:
    prefixes = hs_prefixes(hs)
    # Query 1: both economies (an unknown code is an error), the origin's memberships, and
    # the most specific known product line.
    rows = sql.fetch(*sql.economies_sql(sorted({importer, origin}), prefixes))
    found = {row[0] for row in rows}
    for field, code in (("importer", importer), ("origin", origin)):
        if code not in found:
            raise UnknownEconomy(field, code)
    memberships = tuple(
        _Membership(bloc=bloc, joined_on=_date(joined), left_on=sql.as_date(left))
        for code, bloc, joined, left, _, _ in rows
        if code == origin and bloc is not None
    )
    product = ProductRef(code=rows[0][4], description=rows[0][5]) if rows[0][4] else None

    # Query 2: the candidate periods.
    origins = [origin, *sorted({membership.bloc for membership in memberships})]
    periods = sql.fetch(
        *sql.candidates_sql(
            importer=importer,
            origins=origins,
            prefixes=prefixes,
            statuses=counted_statuses(scenario),
            start=start,
            end=end,
        )
    )

    # Query 3, only when an all-origins measure is among them: its excluded origins that
    # could concern this shipment (the origin itself, or a bloc it belonged to).
    excluded: dict[int, set[str]] = {}
    open_measures = sorted({row[5] for row in periods if row[11] is None})
    if open_measures:
        for measure_id, economy in sql.fetch(*sql.excluded_origins_sql(open_measures, origins)):
            excluded.setdefault(measure_id, set()).add(economy)

    candidates = tuple(
        _Candidate(
            rate_id=rate_id,
            rate=sql.as_decimal(rate),
            valid_from=_date(valid_from),
            valid_to=sql.as_date(valid_to),
            status=status,
            measure=measure_id,
            title=title,
            legal_basis=legal_basis,
            instrument=instrument,
            program=program,
            kind=kind,
            origin=measure_origin,
            agreement=agreement,
            matched_product=matched,
            excluded_origins=frozenset(excluded.get(measure_id, ())),
        )
        for (
            rate_id,
            rate,
            valid_from,
            valid_to,
            status,
            measure_id,
            title,
            legal_basis,
            instrument,
            program,
            kind,
            measure_origin,
            agreement,
            matched,
        ) in periods
    )
    return _Context(origin=origin, memberships=memberships, candidates=candidates, product=product)


def _date(value: Any) -> dt.date:
    day = sql.as_date(value)
    assert day is not None  # A NOT NULL column.
    return day


def _decide(context: _Context, on: dt.date) -> Duty:
    """Apply the rules to the candidates loaded in `context`, for the single date `on`."""
    blocs_on = {m.bloc for m in context.memberships if m.covers(on)}
    shipment_origins = {context.origin} | blocs_on

    # One period per measure: where an announced period and an in-force one both cover the
    # date (announced scenario), the announced one takes precedence.
    by_measure: dict[int, _Candidate] = {}
    for candidate in context.candidates:
        if not candidate.covers(on):
            continue
        if candidate.origin is None:
            if candidate.excluded_origins & shipment_origins:
                continue
        elif candidate.origin not in shipment_origins:
            continue
        current = by_measure.get(candidate.measure)
        if current is None or _period_precedence(candidate) > _period_precedence(current):
            by_measure[candidate.measure] = candidate

    by_program: dict[str, _Candidate] = {}
    for candidate in by_measure.values():
        current = by_program.get(candidate.program)
        if current is None or _specificity(candidate, context.origin) > _specificity(
            current, context.origin
        ):
            by_program[candidate.program] = candidate
    applied = sorted(by_program.values(), key=lambda c: (c.kind != MeasureKind.BASE, c.measure))

    bases = [c for c in applied if c.kind == MeasureKind.BASE]
    base = min(bases, key=lambda c: (c.rate, c.measure)) if bases else None
    base_rate = base.rate if base is not None else None

    components: list[Component] = []
    additional = ZERO
    for candidate in applied:
        if candidate.kind == MeasureKind.BASE:
            if candidate is not base:
                continue  # A higher base rate is not claimed (rule 2).
            applied_rate = candidate.rate
        elif candidate.kind == MeasureKind.ALL_IN and base_rate is not None:
            applied_rate = max(ZERO, candidate.rate - base_rate)
            additional += applied_rate
        else:
            applied_rate = candidate.rate
            additional += applied_rate
        components.append(_component(candidate, applied_rate))

    return Duty(
        base_rate=_cents(base_rate) if base_rate is not None else None,
        additional_rate=_cents(additional),
        total_rate=_cents(base_rate + additional) if base_rate is not None else None,
        components=tuple(components),
    )


def _period_precedence(candidate: _Candidate) -> tuple[bool, dt.date, int]:
    return (candidate.status == RateStatus.ANNOUNCED, candidate.valid_from, -candidate.rate_id)


def _specificity(candidate: _Candidate, origin: str) -> tuple[int, int, dt.date, Decimal, str, int]:
    origin_rank = 0 if candidate.origin is None else 2 if candidate.origin == origin else 1
    prefix = len(candidate.matched_product or "")
    # Ties are decided by content, so the answer never depends on the order rows were written:
    # the period that started later (a newer act supersedes), then the higher rate, then the
    # kind; the id only separates rows that are identical in everything the answer uses.
    return (
        origin_rank,
        prefix,
        candidate.valid_from,
        candidate.rate,
        candidate.kind,
        -candidate.measure,
    )


def _component(candidate: _Candidate, applied_rate: Decimal) -> Component:
    return Component(
        measure=candidate.measure,
        rate_id=candidate.rate_id,
        title=candidate.title,
        legal_basis=candidate.legal_basis,
        instrument=candidate.instrument,
        program=candidate.program,
        kind=candidate.kind,
        rate=_cents(candidate.rate),
        applied_rate=_cents(applied_rate),
        valid_from=candidate.valid_from,
        valid_to=candidate.valid_to,
        agreement=candidate.agreement,
        matched_product=candidate.matched_product,
    )


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def effective_rate(
    *,
    importer: str,
    origin: str,
    hs: str,
    on: dt.date,
    scenario: Scenario = Scenario.IN_FORCE,
) -> EffectiveRate:
    """The duty on `on`. Codes must be normalised (upper case, HS digits only) by the caller."""
    context = _load(
        importer=importer,
        origin=origin,
        hs=hs,
        start=on,
        end=on + dt.timedelta(days=1),
        scenario=scenario,
    )
    return EffectiveRate(
        importer=importer,
        origin=origin,
        hs=hs,
        date=on,
        scenario=scenario,
        product=context.product,
        duty=_decide(context, on),
    )


def timeline(
    *,
    importer: str,
    origin: str,
    hs: str,
    start: dt.date,
    end: dt.date,
    scenario: Scenario = Scenario.IN_FORCE,
) -> Timeline:
    """The duty over [start, end) as consecutive periods, each with a constant answer.

    The answer can only change where a candidate period or a bloc membership starts or ends,
    so it is decided once per stretch between such dates, and neighbours with the same
    components are merged. Every date inside a period gets the same answer from
    `effective_rate`.
    """
    if end <= start:
        raise ValueError("end must be after start")
    context = _load(
        importer=importer, origin=origin, hs=hs, start=start, end=end, scenario=scenario
    )
    edges = {start, end}
    edges.update(_dates_within(_candidate_edges(context.candidates), start, end))
    edges.update(_dates_within(_membership_edges(context.memberships), start, end))
    points = sorted(edges)

    periods: list[Period] = []
    for begin, finish in itertools.pairwise(points):
        duty = _decide(context, begin)
        if periods and periods[-1].duty == duty:
            periods[-1] = Period(valid_from=periods[-1].valid_from, valid_to=finish, duty=duty)
        else:
            periods.append(Period(valid_from=begin, valid_to=finish, duty=duty))
    return Timeline(
        importer=importer,
        origin=origin,
        hs=hs,
        start=start,
        end=end,
        scenario=scenario,
        product=context.product,
        periods=tuple(periods),
    )


def _candidate_edges(candidates: Iterable[_Candidate]) -> Iterable[dt.date | None]:
    for candidate in candidates:
        yield candidate.valid_from
        yield candidate.valid_to


def _membership_edges(memberships: Iterable[_Membership]) -> Iterable[dt.date | None]:
    for membership in memberships:
        yield membership.joined_on
        yield membership.left_on


def _dates_within(
    dates: Iterable[dt.date | None], start: dt.date, end: dt.date
) -> Iterable[dt.date]:
    return (day for day in dates if day is not None and start < day < end)


__all__ = [
    "Component",
    "Duty",
    "EffectiveRate",
    "Period",
    "ProductRef",
    "Scenario",
    "Timeline",
    "UnknownEconomy",
    "effective_rate",
    "timeline",
]

"""The engine's entry points: load a lookup's candidates in at most three queries, then
let `rules.decide` answer for one date (`effective_rate`) or for each stretch between the
dates where the answer can change (`timeline`)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from agreements.engine import queries as sql
from agreements.engine.results import (
    EffectiveRate,
    Period,
    ProductRef,
    Scenario,
    Timeline,
    UnknownEconomy,
)
from agreements.engine.rules import Candidate, Context, Membership, counted_statuses, decide
from agreements.validators import hs_prefixes


def load(
    *,
    importer: str,
    origin: str,
    hs: str,
    start: dt.date,
    end: dt.date | None,
    scenario: Scenario,
) -> Context:
    """Everything a lookup over [start, end) needs, in two or three queries (`end` None:
    through the last representable day)."""
    prefixes = hs_prefixes(hs)
    # Query 1: both economies (an unknown code is an error), the origin's memberships, and
    # the most specific known product line.
    rows = sql.fetch(*sql.economies_sql(sorted({importer, origin}), prefixes))
    found = {row[0] for row in rows}
    for field, code in (("importer", importer), ("origin", origin)):
        if code not in found:
            raise UnknownEconomy(field, code)
    memberships = tuple(
        Membership(bloc=bloc, joined_on=_date(joined), left_on=sql.as_date(left))
        for code, bloc, joined, left, _, _ in rows
        if code == origin and bloc is not None
    )
    product = ProductRef(code=rows[0][4], description=rows[0][5]) if rows[0][4] else None

    # Query 2: the candidate periods. Every bloc the origin ever belonged to is asked for;
    # whether it counted on a date is decided in Python, so one query serves a timeline.
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
        Candidate(
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
    return Context(origin=origin, memberships=memberships, candidates=candidates, product=product)


def _date(value: Any) -> dt.date:
    day = sql.as_date(value)
    assert day is not None  # A NOT NULL column.
    return day


def effective_rate(
    *,
    importer: str,
    origin: str,
    hs: str,
    on: dt.date,
    scenario: Scenario = Scenario.IN_FORCE,
) -> EffectiveRate:
    """The duty on `on`. Codes must be normalised (upper case, HS digits only) by the caller.

    Raises UnknownEconomy when the importer or the origin is not a known economy.
    """
    context = load(
        importer=importer,
        origin=origin,
        hs=hs,
        start=on,
        # 9999-12-31 has no next day; a lookup on it reads every period from there on.
        end=on + dt.timedelta(days=1) if on < dt.date.max else None,
        scenario=scenario,
    )
    return EffectiveRate(
        importer=importer,
        origin=origin,
        hs=hs,
        date=on,
        scenario=scenario,
        product=context.product,
        duty=decide(context, on),
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
    answer are merged. Every date inside a period gets the same answer from
    `effective_rate`. Costs the same queries as one `effective_rate`, whatever the span.
    """
    if end <= start:
        raise ValueError("end must be after start")
    context = load(importer=importer, origin=origin, hs=hs, start=start, end=end, scenario=scenario)
    edges = {start, end}
    edges.update(_dates_within(_candidate_edges(context.candidates), start, end))
    edges.update(_dates_within(_membership_edges(context.memberships), start, end))
    points = sorted(edges)

    periods: list[Period] = []
    for begin, finish in itertools.pairwise(points):
        duty = decide(context, begin)
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


def _candidate_edges(candidates: Iterable[Candidate]) -> Iterable[dt.date | None]:
    for candidate in candidates:
        yield candidate.valid_from
        yield candidate.valid_to


def _membership_edges(memberships: Iterable[Membership]) -> Iterable[dt.date | None]:
    for membership in memberships:
        yield membership.joined_on
        yield membership.left_on


def _dates_within(
    dates: Iterable[dt.date | None], start: dt.date, end: dt.date
) -> Iterable[dt.date]:
    return (day for day in dates if day is not None and start < day < end)

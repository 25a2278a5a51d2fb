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
    Notice,
    Period,
    ProductRef,
    Scenario,
    Shipment,
    Timeline,
    UnknownEconomy,
    WarningCode,
)
from agreements.engine.rules import (
    Candidate,
    Context,
    Membership,
    available_claims,
    counted_statuses,
    decide,
)
from agreements.engine.shipment import check, importer_currency
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
    # Query 1: both economies (an unknown code is an error), the origin's memberships, the
    # most specific known line, and what the warnings need.
    rows = sql.fetch(
        *sql.economies_sql(
            importer=importer,
            codes=sorted({importer, origin}),
            prefixes=prefixes,
            start=start,
            end=end,
        )
    )
    found = {row[0] for row in rows}
    for field, code in (("importer", importer), ("origin", origin)):
        if code not in found:
            raise UnknownEconomy(field, code)
    memberships = tuple(
        Membership(bloc=bloc, joined_on=_date(joined), left_on=sql.as_date(left))
        for code, bloc, joined, left, *_ in rows
        if code == origin and bloc is not None
    )
    first = rows[0]
    line_code, line_text, product_code, product_text = first[4:8]
    product = (
        ProductRef(code=line_code, description=line_text)
        if line_code
        else ProductRef(code=product_code, description=product_text)
        if product_code
        else None
    )
    has_tariff, line_found, has_measures, data_covers = (sql.as_bool(v) for v in first[8:12])

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
            claim=claim,
            waived_by=frozenset(sql.as_list(waived_by)),
            yields_to=frozenset(sql.as_list(yields_to)),
            yields_content_to=frozenset(sql.as_list(yields_content_to)),
            basis=basis,
            expression=expression,
            specific_amount=sql.as_amount(specific_amount),
            specific_currency=specific_currency,
            specific_unit=specific_unit,
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
            claim,
            waived_by,
            yields_to,
            basis,
            expression,
            specific_amount,
            specific_currency,
            specific_unit,
            yields_content_to,
            matched,
        ) in periods
    )
    return Context(
        importer=importer,
        origin=origin,
        memberships=memberships,
        candidates=candidates,
        product=product,
        warnings=_question_warnings(
            importer=importer,
            hs=hs,
            has_tariff=has_tariff,
            line_found=line_found,
            product_code=product_code,
            has_measures=has_measures,
            data_covers=data_covers,
        ),
    )


def _question_warnings(
    *,
    importer: str,
    hs: str,
    has_tariff: bool,
    line_found: bool,
    product_code: str | None,
    has_measures: bool,
    data_covers: bool,
) -> tuple[Notice, ...]:
    """What an answer must say about its question: the code is not in the importer's tariff
    (or, for an importer whose tariff is not loaded, not in the HS), the importer has no
    measures, or none of its data covers the dates."""
    warnings = []
    known = line_found if has_tariff else product_code == hs
    if not known:
        where = f"{importer}'s tariff" if has_tariff else "the HS nomenclature"
        warnings.append(
            Notice(
                WarningCode.PRODUCT_NOT_IN_TARIFF,
                f"{hs} is not a line of {where} on these dates (nor a heading above one): "
                "measures on its broader codes are applied, but check the code.",
            )
        )
    if not has_measures:
        warnings.append(
            Notice(
                WarningCode.NO_MEASURES_FOR_IMPORTER,
                f"There are no measures for importer {importer}: nothing is known of its "
                "duties, so an empty answer is not a zero duty.",
            )
        )
    elif not data_covers:
        warnings.append(
            Notice(
                WarningCode.OUTSIDE_DATA_PERIOD,
                f"No rate period of {importer}'s measures covers these dates: the answer "
                "reflects missing data, not a zero duty.",
            )
        )
    return tuple(warnings)


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
    claims: Iterable[str] = (),
    shipment: Shipment | None = None,
) -> EffectiveRate:
    """The duty on `on`. Codes must be normalised (upper case, HS digits only) by the caller;
    `claims` are the preferences the shipment claims (case-insensitive); with a `shipment`
    (a value or a quantity) the answer prices every component.

    Raises UnknownEconomy when the importer or the origin is not a known economy, and
    ShipmentError when the shipment cannot be priced as stated (another currency than the
    importer's, a unit that does not convert to an applied duty's).
    """
    if shipment is not None:
        check(importer, shipment)
    context = load(
        importer=importer,
        origin=origin,
        hs=hs,
        start=on,
        # 9999-12-31 has no next day; a lookup on it reads every period from there on.
        end=on + dt.timedelta(days=1) if on < dt.date.max else None,
        scenario=scenario,
    )
    return answer(context, hs=hs, on=on, scenario=scenario, claims=claims, shipment=shipment)


def answer(
    context: Context,
    *,
    hs: str,
    on: dt.date,
    scenario: Scenario,
    claims: Iterable[str],
    shipment: Shipment | None,
) -> EffectiveRate:
    """Decide one lookup from its loaded context: the single lookup and every line of an
    entry (agreements.engine.batch) end here, so they cannot answer differently."""
    claimed = frozenset(claim.strip().upper() for claim in claims)
    duty = decide(context, on, claimed, shipment)
    titles = _claim_titles(context)
    return EffectiveRate(
        importer=context.importer,
        origin=context.origin,
        hs=hs,
        date=on,
        scenario=scenario,
        product=context.product,
        duty=duty,
        claims=tuple(sorted(claimed)),
        available_claims=available_claims(context, on, claimed, duty, titles, shipment),
        warnings=context.warnings,
        shipment=shipment if shipment is not None and shipment.priced else None,
        currency=importer_currency(context.importer),
    )


def timeline(
    *,
    importer: str,
    origin: str,
    hs: str,
    start: dt.date,
    end: dt.date,
    scenario: Scenario = Scenario.IN_FORCE,
    claims: Iterable[str] = (),
) -> Timeline:
    """The duty over [start, end) as consecutive periods, each with a constant answer.

    The answer can only change where a candidate period or a bloc membership starts or ends,
    so it is decided once per stretch between such dates, and neighbours with the same
    answer are merged. Every date inside a period gets the same answer from
    `effective_rate`. Costs the same queries as one `effective_rate`, whatever the span.
    """
    if end <= start:
        raise ValueError("end must be after start")
    claimed = frozenset(claim.strip().upper() for claim in claims)
    context = load(importer=importer, origin=origin, hs=hs, start=start, end=end, scenario=scenario)
    edges = {start, end}
    edges.update(_dates_within(_candidate_edges(context.candidates), start, end))
    edges.update(_dates_within(_membership_edges(context.memberships), start, end))
    points = sorted(edges)

    periods: list[Period] = []
    for begin, finish in itertools.pairwise(points):
        duty = decide(context, begin, claimed)
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
        claims=tuple(sorted(claimed)),
        warnings=context.warnings,
    )


def _claim_titles(context: Context) -> dict[str, str]:
    """A claim's title, from the measures it switches on (a preference) or off (waived)."""
    on: dict[str, set[str]] = {}
    off: dict[str, set[str]] = {}
    for candidate in context.candidates:
        if candidate.claim:
            on.setdefault(candidate.claim, set()).add(candidate.title)
        for code in candidate.waived_by:
            off.setdefault(code, set()).add(candidate.title)
    titles = {}
    for code in on.keys() | off.keys():
        parts = [*sorted(on.get(code, ())), *(f"waives {t}" for t in sorted(off.get(code, ())))]
        titles[code] = "; ".join(parts)
    return titles


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

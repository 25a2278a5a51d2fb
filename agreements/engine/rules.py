"""The rules of API.md's rate engine, applied in Python to candidates loaded in one go.

Nothing here touches the database: `decide` takes the candidate rate periods of one lookup
(already matched to the importer, the possible origins and the HS code in SQL) and answers
for a single date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from agreements.engine.results import Component, Duty, ProductRef, Scenario
from agreements.models.choices import MeasureKind, RateStatus

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Membership:
    """The shipment's origin belonged to `bloc` over [joined_on, left_on)."""

    bloc: str
    joined_on: dt.date
    left_on: dt.date | None

    def covers(self, on: dt.date) -> bool:
        return self.joined_on <= on and (self.left_on is None or on < self.left_on)


@dataclass(frozen=True)
class Candidate:
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
class Context:
    """Everything one lookup loaded: the rules need nothing else."""

    origin: str
    memberships: tuple[Membership, ...]
    candidates: tuple[Candidate, ...]
    product: ProductRef | None


def counted_statuses(scenario: Scenario) -> list[str]:
    """The rate statuses a scenario counts."""
    if scenario == Scenario.ANNOUNCED:
        return [RateStatus.IN_FORCE, RateStatus.ANNOUNCED]
    return [RateStatus.IN_FORCE]


def decide(context: Context, on: dt.date) -> Duty:
    """Apply the rules to the candidates loaded in `context`, for the single date `on`."""
    blocs_on = {m.bloc for m in context.memberships if m.covers(on)}
    shipment_origins = {context.origin} | blocs_on

    # One period per measure: where an announced period and an in-force one both cover the
    # date (announced scenario), the announced one takes precedence.
    by_measure: dict[int, Candidate] = {}
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

    by_program: dict[str, Candidate] = {}
    for candidate in by_measure.values():
        current = by_program.get(candidate.program)
        if current is None or _specificity(candidate, context.origin) > _specificity(
            current, context.origin
        ):
            by_program[candidate.program] = candidate
    applied = sorted(by_program.values(), key=lambda c: (c.kind != MeasureKind.BASE, c.measure))

    bases = [c for c in applied if c.kind == MeasureKind.BASE]
    # Equal lowest rates go to the program first by slug: content, not ids, decides, so the
    # answer does not depend on the order the measures were written.
    base = min(bases, key=lambda c: (c.rate, c.program)) if bases else None
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
        base_rate=cents(base_rate) if base_rate is not None else None,
        additional_rate=cents(additional),
        total_rate=cents(base_rate + additional) if base_rate is not None else None,
        components=tuple(components),
    )


def _period_precedence(candidate: Candidate) -> tuple[bool, dt.date, dt.date, Decimal, int]:
    # Announced beats in force (API.md); between two periods of one measure that both count,
    # the later start, then the later end and the higher rate: content, not insertion order.
    return (
        candidate.status == RateStatus.ANNOUNCED,
        candidate.valid_from,
        _end(candidate),
        candidate.rate,
        -candidate.rate_id,
    )


def _specificity(
    candidate: Candidate, origin: str
) -> tuple[int, int, dt.date, Decimal, str, dt.date, int]:
    origin_rank = 0 if candidate.origin is None else 2 if candidate.origin == origin else 1
    prefix = len(candidate.matched_product or "")
    # Ties are decided by content, so the answer never depends on the order rows were written:
    # the period that started later (a newer act supersedes), then the higher rate, then the
    # kind, then the period that ends later; the lowest measure id only separates rows
    # identical in everything the answer shows but their ids and titles.
    return (
        origin_rank,
        prefix,
        candidate.valid_from,
        candidate.rate,
        candidate.kind,
        _end(candidate),
        -candidate.measure,
    )


def _end(candidate: Candidate) -> dt.date:
    return dt.date.max if candidate.valid_to is None else candidate.valid_to


def _component(candidate: Candidate, applied_rate: Decimal) -> Component:
    return Component(
        measure=candidate.measure,
        rate_id=candidate.rate_id,
        title=candidate.title,
        legal_basis=candidate.legal_basis,
        instrument=candidate.instrument,
        program=candidate.program,
        kind=candidate.kind,
        rate=cents(candidate.rate),
        applied_rate=cents(applied_rate),
        valid_from=candidate.valid_from,
        valid_to=candidate.valid_to,
        agreement=candidate.agreement,
        matched_product=candidate.matched_product,
    )


def cents(value: Decimal) -> Decimal:
    """Two decimal places, as every rate of the API is given."""
    return value.quantize(CENT)

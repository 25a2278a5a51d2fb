"""The rules of API.md's rate engine, applied in Python to candidates loaded in one go.

Nothing here touches the database: `decide` takes the candidate rate periods of one lookup
(already matched to the importer, the possible origins and the HS code in SQL) and answers
for a single date.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal

from agreements.engine.results import (
    AvailableClaim,
    ChargedOn,
    Component,
    Duty,
    Notice,
    ProductRef,
    Scenario,
    Shipment,
    WarningCode,
)
from agreements.engine.shipment import (
    Priced,
    ShipmentError,
    ad_valorem_equivalent,
    money,
    price,
    taxed_value,
)
from agreements.models.choices import MeasureBasis, MeasureKind, RateStatus
from agreements.tariffs.duties import parse_duty

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
    claim: str
    waived_by: frozenset[str]
    yields_to: frozenset[str]
    basis: str
    expression: str
    specific_amount: Decimal | None
    specific_currency: str
    specific_unit: str
    yields_content_to: frozenset[str] = frozenset()

    def covers(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


@dataclass(frozen=True)
class Context:
    """Everything one lookup loaded: the rules need nothing else."""

    origin: str
    memberships: tuple[Membership, ...]
    candidates: tuple[Candidate, ...]
    product: ProductRef | None
    warnings: tuple[Notice, ...] = ()
    importer: str = ""


@functools.lru_cache(maxsize=8192)
def _reducible(expression: str) -> bool:
    return parse_duty(expression).reducible


def said_in_full(candidate: Candidate) -> bool:
    """Whether the period's rate and specific part are its whole duty. A duty published in a
    form the tariff parser cannot reduce to them (a watch's "44¢ each + 6% on the case + 14%
    on the strap ...", "See 9822.04.25") is kept as its text with a rate of 0.00 that is not
    the duty (agreements.tariffs.imports): it is never answered as 0."""
    return not candidate.expression or _reducible(candidate.expression)


def _as_text(candidates: list[Candidate]) -> Notice:
    return Notice(
        WarningCode.DUTY_AS_TEXT,
        "Published as text that is not a percentage and a specific part, so it is neither "
        "counted nor priced: "
        + "; ".join(f"{c.title}: {c.expression!r}" for c in candidates)
        + ". Its rate of 0.00 is not the duty; where it is the base, the base rate, the "
        "total and the amount are unknown (null).",
    )


def counted_statuses(scenario: Scenario) -> list[str]:
    """The rate statuses a scenario counts."""
    if scenario == Scenario.ANNOUNCED:
        return [RateStatus.IN_FORCE, RateStatus.ANNOUNCED]
    return [RateStatus.IN_FORCE]


def decide(
    context: Context,
    on: dt.date,
    claims: frozenset[str] = frozenset(),
    shipment: Shipment | None = None,
) -> Duty:
    """Apply the rules to the candidates loaded in `context`, for the single date `on` and
    the preferences the shipment claims; with a `shipment` (a value or a quantity), price
    every component too.

    Raises ShipmentError when the shipment's unit cannot convert to an applied duty's.
    """
    applied = _applied(context, on, claims)
    charged = _charged_on(applied)
    bases = [c for c in applied if c.kind == MeasureKind.BASE]
    priced = shipment is not None and shipment.priced
    amounts: dict[int, Priced] = {}
    if priced:
        assert shipment is not None
        for candidate in applied:
            amounts[candidate.rate_id] = _price(
                context, candidate, shipment, charged[candidate.rate_id]
            )
        _one_content_value_for_one_content(applied, charged, amounts, shipment)
        as_text = [c for c in applied if not said_in_full(c)]
        for candidate in as_text:
            amounts[candidate.rate_id] = Priced(None, (_as_text(as_text),))
    base = _choose_base(bases, amounts if priced else None)
    # A base known only as text leaves the base, and so the total, unknown.
    base_rate = base.rate if base is not None and said_in_full(base) else None
    base_amount = amounts[base.rate_id].amount if priced and base is not None else None
    value = shipment.value if shipment is not None else None
    # An all-in measure over a specific or compound base tops up to its rate by the base's
    # ad valorem equivalent (API.md): the base's amount as a share of the value, exactly.
    base_equivalent = base_amount * 100 / value if base_amount is not None and value else None

    components: list[Component] = []
    additional = ZERO
    missing: list[Notice] = []
    total: Decimal | None = ZERO
    for candidate in applied:
        amount: Decimal | None = None
        if candidate.kind == MeasureKind.BASE:
            if candidate is not base:
                continue  # A higher base is not charged (rule 2).
            applied_rate = candidate.rate
        elif candidate.kind == MeasureKind.ALL_IN and base_rate is not None:
            if priced and base_equivalent is not None:
                applied_rate = max(ZERO, candidate.rate - base_equivalent)
            else:
                applied_rate = max(ZERO, candidate.rate - base_rate)
        else:
            applied_rate = candidate.rate
        on_part = charged[candidate.rate_id]
        if (
            candidate.kind != MeasureKind.BASE
            and on_part == ChargedOn.VALUE
            and said_in_full(candidate)
        ):
            # A duty on a content, or on the value less it, is on part of the value only:
            # listed, not added (rule 5).
            additional += applied_rate
        if priced:
            assert shipment is not None
            amount, notices = _component_amount(
                candidate, amounts, base, base_amount, value, taxed_value(on_part, shipment)
            )
            missing.extend(notices)
            total = None if total is None or amount is None else total + amount
        components.append(_component(candidate, applied_rate, on_part, amount))

    if priced:
        if base is None:
            total = None
        warnings = _priced_warnings(base, missing)
    else:
        total = None
        charged_components = [c for c in applied if c.kind != MeasureKind.BASE or c is base]
        warnings = _duty_warnings(base, components, charged_components)
    return Duty(
        base_rate=cents(base_rate) if base_rate is not None else None,
        additional_rate=cents(additional),
        total_rate=cents(base_rate + additional) if base_rate is not None else None,
        components=tuple(components),
        complete=not warnings,
        warnings=warnings,
        priced=priced,
        duty_amount=total,
        ad_valorem_equivalent=ad_valorem_equivalent(total, value) if priced else None,
    )


def _charged_on(applied: list[Candidate]) -> dict[int, ChargedOn]:
    """What each applied measure is charged on. A measure that `yields_content_to` a program
    whose applied measure is on `basis: content` leaves that content to it and is charged on
    the rest of the value (the US reciprocal duty on a steel derivative from 2025-06-04: the
    Section 232 duty on the steel content, the reciprocal duty on the non-steel content). It
    still applies where that program's measure is on the value, or none applies: only
    `yields_to` takes a measure off whole. Base rates are on the whole value (writes refuse
    `yields_content_to` on them)."""
    content_programs = {c.program for c in applied if c.basis == MeasureBasis.CONTENT}
    charged: dict[int, ChargedOn] = {}
    for candidate in applied:
        if candidate.basis == MeasureBasis.CONTENT:
            charged[candidate.rate_id] = ChargedOn.CONTENT
        elif candidate.kind != MeasureKind.BASE and (
            candidate.yields_content_to & content_programs
        ):
            charged[candidate.rate_id] = ChargedOn.VALUE_LESS_CONTENT
        else:
            charged[candidate.rate_id] = ChargedOn.VALUE
    return charged


def _price(
    context: Context, candidate: Candidate, shipment: Shipment, charged_on: ChargedOn
) -> Priced:
    return price(
        importer=context.importer,
        rate=candidate.rate,
        specific_amount=candidate.specific_amount,
        specific_currency=candidate.specific_currency or None,
        specific_unit=candidate.specific_unit or None,
        charged_on=charged_on,
        title=candidate.title,
        shipment=shipment,
    )


def _one_content_value_for_one_content(
    applied: list[Candidate],
    charged: dict[int, ChargedOn],
    amounts: dict[int, Priced],
    shipment: Shipment,
) -> None:
    """A shipment has one `content_value`: the value of the content a content-basis measure
    taxes. Where two such measures apply (the steel and the aluminium of one article: some
    100 lines are on both Section 232 derivative lists), one value cannot be both contents,
    and charging each measure on it would tax that value twice; so neither is priced, nor a
    measure charged on the value less the content (less which content?), and the answer says
    why. A nil content value is nil for every content, so it prices them."""
    content = [c for c in applied if c.basis == MeasureBasis.CONTENT]
    if len(content) < 2 or not shipment.content_value:
        return
    notice = Notice(
        WarningCode.CONTENT_VALUE_AMBIGUOUS,
        "More than one duty is charged on the value of a content ("
        + "; ".join(c.title for c in content)
        + "): one `content_value` cannot be the value of each content, so these are not "
        "priced, nor a duty charged on the value less the content.",
    )
    for candidate in applied:
        if charged[candidate.rate_id] != ChargedOn.VALUE:
            amounts[candidate.rate_id] = Priced(None, (notice,))


def _choose_base(bases: list[Candidate], amounts: dict[int, Priced] | None) -> Candidate | None:
    """Rule 2. For a shipment whose every base can be priced, the lowest duty amount is the
    base (a specific duty may cost less than an ad valorem one at this quantity); otherwise
    the lowest rate, a specific part making a base dearer than the same rate without one.
    Equal duties go to the program first by slug: content, not ids, decides, so the answer
    does not depend on the order the measures were written."""
    if not bases:
        return None
    # A base whose duty is only text cannot be compared: one that is known is the base when
    # there is one (a claimed preference over an MFN duty published as text).
    bases = [c for c in bases if said_in_full(c)] or bases
    if amounts is not None:
        priced = [(amounts[c.rate_id].amount, c) for c in bases]
        if all(amount is not None for amount, _ in priced):
            return min(priced, key=lambda pair: (pair[0], *_base_order(pair[1])))[1]
    return min(bases, key=_base_order)


def _component_amount(
    candidate: Candidate,
    amounts: dict[int, Priced],
    base: Candidate | None,
    base_amount: Decimal | None,
    value: Decimal | None,
    taxed: Decimal | None,
) -> tuple[Decimal | None, tuple[Notice, ...]]:
    """A component's amount in cents, or None with what is missing. `taxed` is what the
    component is charged on (the value, or the value less the content)."""
    if candidate.kind == MeasureKind.ALL_IN and base is not None:
        own = amounts[candidate.rate_id]
        if own.amount is None:
            return None, own.missing
        if base_amount is None:
            return None, amounts[base.rate_id].missing
        # Tops the duty up to its own on what it is charged on: max(0, rate x taxed - the
        # base's share of it), the share being base amount x taxed / value (all of it on the
        # full value), i.e. max(0, rate - the base's ad valorem equivalent) x taxed, exactly.
        if taxed is None or taxed == value or not value:
            share = base_amount
        else:
            share = base_amount * taxed / value
        return money(max(ZERO, own.amount - share)), ()
    own = amounts[candidate.rate_id]
    if own.amount is None:
        return None, own.missing
    return money(own.amount), ()


def _priced_warnings(base: Candidate | None, missing: list[Notice]) -> tuple[Notice, ...]:
    """For a shipment, the warnings say what stops the amount being whole; the percentage's
    own caveats (a specific part, a content basis) are priced, so they no longer apply."""
    warnings: list[Notice] = []
    if base is None:
        warnings.append(
            Notice(
                WarningCode.BASE_UNKNOWN,
                "No base (MFN or claimed preferential) rate is known for this product on "
                "this date: the duty amount is unknown.",
            )
        )
    seen: set[Notice] = set()
    for notice in missing:
        if notice not in seen:
            seen.add(notice)
            warnings.append(notice)
    return tuple(warnings)


def available_claims(
    context: Context,
    on: dt.date,
    claims: frozenset[str],
    duty: Duty,
    titles: dict[str, str],
    shipment: Shipment | None = None,
) -> tuple[AvailableClaim, ...]:
    """Each claim not yet made that would change the answer, with the total it would give;
    for a priced shipment, each claim that would lower its duty, with the amount it would
    give and the saving (a claim whose amount cannot be known but that changes the answer is
    offered without them).

    The codes to try are those the candidates name (a measure's `claim`, or a `waived_by`),
    so a lookup decides once more per code that could matter, never for every program of
    the tariff.
    """
    codes: set[str] = set()
    for candidate in context.candidates:
        if candidate.claim:
            codes.add(candidate.claim)
        codes.update(candidate.waived_by)
    offers = []
    for code in sorted(codes - claims):
        try:
            other = decide(context, on, claims | {code}, shipment)
        except ShipmentError:
            # The claim brings in a duty the quantity's unit cannot price: it cannot be
            # offered with an amount, and the answer without it stands.
            continue
        if other.components == duty.components:
            continue
        saving = None
        if duty.priced and duty.duty_amount is not None and other.duty_amount is not None:
            if other.duty_amount >= duty.duty_amount:
                continue  # Changes the answer but would not lower the duty.
            saving = duty.duty_amount - other.duty_amount
        offers.append(
            AvailableClaim(
                claim=code,
                title=titles.get(code, code),
                total_rate=other.total_rate,
                duty_amount=other.duty_amount,
                saving=saving,
            )
        )
    return tuple(offers)


def _applied(context: Context, on: dt.date, claims: frozenset[str]) -> list[Candidate]:
    """Rules 0, 1 and 4: the measures that apply, one per program at most."""
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
        # Rule 0: a preference applies only when claimed; a claim in `waived_by` switches
        # the measure off.
        if candidate.claim and candidate.claim not in claims:
            continue
        if candidate.waived_by & claims:
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

    # Rule 4: a measure gives way where a measure of a program it yields to applies. That
    # measure may itself yield (the yields_to graph of one day has no cycles: writes refuse
    # them, agreements.models.yields), so whether a program stands is decided from the
    # bottom up.
    standing: dict[str, bool] = {}

    def stands(program: str, path: frozenset[str] = frozenset()) -> bool:
        if program not in standing:
            candidate = by_program[program]
            blockers = (candidate.yields_to & by_program.keys()) - path - {program}
            standing[program] = not any(stands(b, path | {program}) for b in sorted(blockers))
        return standing[program]

    return sorted(
        (c for program, c in by_program.items() if stands(program)),
        key=lambda c: (c.kind != MeasureKind.BASE, c.measure),
    )


def _base_order(candidate: Candidate) -> tuple[Decimal, bool, Decimal, str]:
    specific = candidate.specific_amount
    return (candidate.rate, specific is not None, specific or ZERO, candidate.program)


def _duty_warnings(
    base: Candidate | None, components: list[Component], applied_candidates: list[Candidate]
) -> tuple[Notice, ...]:
    # Without a shipment the percentage cannot carry a duty on part of the value: each such
    # duty is listed with what it is charged on, and said to be left out.
    warnings = []
    if base is None:
        warnings.append(
            Notice(
                WarningCode.BASE_UNKNOWN,
                "No base (MFN or claimed preferential) rate is known for this product on "
                "this date: the total is unknown, and all-in measures count their full rate.",
            )
        )
    as_text = [c for c in applied_candidates if not said_in_full(c)]
    if as_text:
        warnings.append(_as_text(as_text))
    specific = [c for c in components if c.specific_amount is not None]
    if specific:
        warnings.append(
            Notice(
                WarningCode.SPECIFIC_DUTY,
                "Part of the duty is charged per unit of quantity ("
                + "; ".join(c.expression or c.title for c in specific)
                + "): the percentage is not the whole duty.",
            )
        )
    content = [c for c in components if c.basis == MeasureBasis.CONTENT]
    if content:
        warnings.append(
            Notice(
                WarningCode.CONTENT_BASIS,
                "Charged on the value of one content only, not added to the percentage: "
                + "; ".join(f"{c.title} ({c.rate}%)" for c in content)
                + ".",
            )
        )
    rest = [c for c in components if c.charged_on == ChargedOn.VALUE_LESS_CONTENT]
    if rest:
        warnings.append(
            Notice(
                WarningCode.VALUE_LESS_CONTENT,
                "Charged on the value less the content value (the content is taxed by a duty "
                "on it instead), not added to the percentage: "
                + "; ".join(f"{c.title} ({c.applied_rate}%)" for c in rest)
                + ". Give `value` and `content_value` to price it.",
            )
        )
    return tuple(warnings)


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


def _component(
    candidate: Candidate,
    applied_rate: Decimal,
    charged_on: ChargedOn,
    duty_amount: Decimal | None = None,
) -> Component:
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
        expression=candidate.expression,
        specific_amount=candidate.specific_amount,
        specific_currency=candidate.specific_currency or None,
        specific_unit=candidate.specific_unit or None,
        basis=candidate.basis,
        claim=candidate.claim or None,
        charged_on=charged_on,
        duty_amount=duty_amount,
    )


def cents(value: Decimal) -> Decimal:
    """Two decimal places, as every rate of the API is given."""
    return value.quantize(CENT)

"""Builders for every model, and `build_world`: a small synthetic dataset for behaviour tests.

Economies use the user-assigned codes XA..XZ, which no real data uses, and every name,
slug and URL here is invented: a behaviour test that reads these rows cannot start failing
because a shipped fact (fixtures/*.json) was corrected. Only the fact tests read the shipped
data (the `facts` marker, tests/conftest.py).

Plain functions rather than a factory library: each builder is a few lines over the ORM,
typed, and creates exactly the rows its arguments name, with the audit history that an
ordinary save records.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_create_with_history

from agreements.models import (
    Agreement,
    BlocMembership,
    Commitment,
    Delegate,
    Economy,
    Extension,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
)
from agreements.models.choices import EconomyKind
from agreements.models.products import level_for_code

DateLike = dt.date | str | None
_numbers = itertools.count(1)
# The audit history's change reason for the world's records, as the loader records its own.
CHANGE_REASON = "test world"


def _date(value: DateLike) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _required_date(value: dt.date | str) -> dt.date:
    day = _date(value)
    assert day is not None
    return day


def _number() -> int:
    return next(_numbers)


# --- Reference data -------------------------------------------------------------------------


def economy(code: str, name: str | None = None, *, kind: str = EconomyKind.COUNTRY) -> Economy:
    """The economy `code`, created if missing (so builders can name economies freely)."""
    found, _ = Economy.objects.get_or_create(
        code=code, defaults={"name": name or f"Test {code}", "kind": kind}
    )
    return found


def bloc(
    code: str,
    name: str | None = None,
    *,
    members: Iterable[tuple[str, dt.date | str, DateLike]] = (),
) -> Economy:
    """A bloc and its dated memberships, given as (member code, joined_on, left_on)."""
    union = economy(code, name or f"Test bloc {code}", kind=EconomyKind.BLOC)
    for member, joined_on, left_on in members:
        membership(code, member, joined_on, left_on)
    return union


def membership(
    bloc_code: str, member: str, joined_on: dt.date | str, left_on: DateLike = None
) -> BlocMembership:
    economy(member)
    return BlocMembership.objects.create(
        bloc_id=bloc_code,
        member_id=member,
        joined_on=_required_date(joined_on),
        left_on=_date(left_on),
    )


def product(code: str, description: str | None = None) -> Product:
    """The HS line `code`, with every shorter line above it created as its parents."""
    found = Product.objects.filter(code=code).first()
    if found is not None:
        return found
    parent = None
    if len(code) > 2:
        parent = product(code[:6] if len(code) > 6 else code[:-2])
    return Product.objects.create(
        code=code,
        level=level_for_code(code),
        description=description or f"Test goods {code}",
        parent=parent,
    )


def products_in_bulk(codes: Sequence[str], description: str = "Bulk goods") -> list[Product]:
    """Many lines in one bulk write with history, as the loader writes the nomenclature:
    their audit records share timestamps, which the changes feed must page through."""
    rows = [
        Product(code=code, level=level_for_code(code), description=f"{description} {code}")
        for code in codes
    ]
    created: list[Product] = bulk_create_with_history(
        rows, Product, batch_size=1000, default_change_reason=CHANGE_REASON
    )
    return created


def source(
    title: str | None = None,
    *,
    url: str | None = None,
    publisher: str = "Test Gazette",
    published_on: DateLike = None,
    note: str = "",
) -> Source:
    number = _number()
    return Source.objects.create(
        title=title or f"Test source {number}",
        url=url or f"https://example.org/sources/{number}",
        publisher=publisher,
        published_on=_date(published_on),
        note=note,
    )


def _sources_or_new(sources: Sequence[Source] | None) -> list[Source]:
    # Every record of the contract names at least one source (the API refuses none).
    return list(sources) if sources is not None else [source()]


# --- Agreements, rounds, commitments --------------------------------------------------------


def agreement(
    slug: str | None = None,
    *,
    parties: Sequence[str] = ("XA", "XB"),
    kind: str = "deal",
    title: str | None = None,
    summary: str = "A test agreement.",
    announced_on: DateLike = None,
    signed_on: DateLike = None,
    effective_on: DateLike = None,
    expires_on: DateLike = None,
    terminated_on: DateLike = None,
    sources: Sequence[Source] | None = None,
    extensions: Iterable[tuple[dt.date | str, dt.date | str, str]] = (),
    **fields: Any,
) -> Agreement:
    """An agreement; `extensions` are (decided_on, expires_on, instrument)."""
    slug = slug or f"test-agreement-{_number()}"
    created = Agreement.objects.create(
        slug=slug,
        title=title or f"Agreement {slug}",
        kind=kind,
        summary=summary,
        announced_on=_date(announced_on),
        signed_on=_date(signed_on),
        effective_on=_date(effective_on),
        expires_on=_date(expires_on),
        terminated_on=_date(terminated_on),
        **fields,
    )
    created.parties.set([economy(code) for code in parties])
    created.sources.set(_sources_or_new(sources))
    for decided_on, new_expiry, instrument in extensions:
        extension(created, decided_on, new_expiry, instrument=instrument, sources=sources)
    return created


def extension(
    of: Agreement,
    decided_on: dt.date | str,
    expires_on: dt.date | str,
    *,
    instrument: str = "Test order",
    note: str = "",
    sources: Sequence[Source] | None = None,
) -> Extension:
    created = Extension.objects.create(
        agreement=of,
        decided_on=_required_date(decided_on),
        expires_on=_required_date(expires_on),
        instrument=instrument,
        note=note,
    )
    created.sources.set(_sources_or_new(sources))
    return created


def negotiation_round(
    title: str | None = None,
    *,
    city: str = "Testville",
    venue_country: str = "XF",
    start_date: dt.date | str = "2025-01-10",
    end_date: dt.date | str | None = None,
    parties: Sequence[str] = ("XA", "XB"),
    delegates: Iterable[tuple[str, str, str, bool]] = (),
    agreement: Agreement | None = None,
    sources: Sequence[Source] | None = None,
    **fields: Any,
) -> NegotiationRound:
    """A round; `delegates` are (name, title, economy code, is_lead)."""
    start = _required_date(start_date)
    created = NegotiationRound.objects.create(
        title=title or f"Test round {_number()}",
        city=city,
        venue_country=economy(venue_country),
        start_date=start,
        end_date=_date(end_date) or start,
        agreement=agreement,
        **fields,
    )
    created.parties.set([economy(code) for code in parties])
    created.sources.set(_sources_or_new(sources))
    for name, office, code, is_lead in delegates:
        delegate(created, name, code, title=office, is_lead=is_lead)
    return created


def delegate(
    of: NegotiationRound, name: str, economy_code: str, *, title: str = "", is_lead: bool = False
) -> Delegate:
    return Delegate.objects.create(
        round=of, name=name, title=title, economy=economy(economy_code), is_lead=is_lead
    )


def commitment(
    slug: str | None = None,
    *,
    pledger: str = "XC",
    beneficiary: str = "XA",
    kind: str = "purchase",
    description: str = "A test pledge.",
    amount: str | None = None,
    currency: str = "",
    quantity: str | None = None,
    unit: str = "",
    announced_on: DateLike = None,
    due_by: DateLike = None,
    agreement: Agreement | None = None,
    sources: Sequence[Source] | None = None,
    note: str = "",
) -> Commitment:
    created = Commitment.objects.create(
        slug=slug or f"test-pledge-{_number()}",
        agreement=agreement,
        pledger=economy(pledger),
        beneficiary=economy(beneficiary),
        kind=kind,
        description=description,
        amount=Decimal(amount) if amount is not None else None,
        currency=currency,
        quantity=Decimal(quantity) if quantity is not None else None,
        unit=unit,
        announced_on=_date(announced_on),
        due_by=_date(due_by),
        note=note,
    )
    created.sources.set(_sources_or_new(sources))
    return created


# --- Measures and their rates ---------------------------------------------------------------

# A period: (rate, valid_from, valid_to) or (rate, valid_from, valid_to, status).
Period = tuple[str, str, str | None] | tuple[str, str, str | None, str]


def measure(
    slug: str | None = None,
    *,
    rates: Sequence[Period] = (),
    kind: str = "additional",
    program: str = "p",
    importer: str = "XA",
    origin: str | None = "XB",
    products: Sequence[str] = (),
    excluded_products: Sequence[str] = (),
    excluded_origins: Sequence[str] = (),
    legal_basis: str | None = None,
    title: str | None = None,
    instrument: str | None = None,
    agreement: Agreement | None = None,
    sources: Sequence[Source] | None = (),
    note: str = "",
    claim: str = "",
    waived_by: Sequence[str] = (),
    yields_to: Sequence[str] = (),
    yields_content_to: Sequence[str] = (),
    basis: str = "value",
) -> Measure:
    """A measure with its periods; economies and products it names are created if missing."""
    number = _number()
    created = Measure.objects.create(
        slug=slug or f"test-{number}",
        title=title or f"Test measure {number}",
        importer=economy(importer),
        origin=economy(origin) if origin else None,
        legal_basis=legal_basis or ("mfn" if kind == "base" else "other"),
        instrument=instrument or f"Test act {number}",
        program=program,
        kind=kind,
        claim=claim,
        waived_by=list(waived_by),
        yields_to=list(yields_to),
        yields_content_to=list(yields_content_to),
        basis=basis,
        agreement=agreement,
        note=note,
    )
    created.products.set([product(code) for code in products])
    created.excluded_products.set([product(code) for code in excluded_products])
    created.excluded_origins.set([economy(code) for code in excluded_origins])
    if sources:
        created.sources.set(sources)
    for period in rates:
        rate(created, *period)
    return created


def rate(
    of: Measure,
    value: str,
    valid_from: dt.date | str,
    valid_to: DateLike = None,
    status: str = "in_force",
    *,
    note: str = "",
) -> Rate:
    return Rate.objects.create(
        measure=of,
        rate=Decimal(value),
        valid_from=_required_date(valid_from),
        valid_to=_date(valid_to),
        status=status,
        note=note,
    )


# --- The shared synthetic world -------------------------------------------------------------


@dataclass
class World:
    """Handles on the rows of `build_world`, for tests that compare whole bodies."""

    sources: list[Source] = field(default_factory=list)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    rounds: dict[str, NegotiationRound] = field(default_factory=dict)
    commitments: dict[str, Commitment] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)


# Keys of the world, named by the role they play in the tests.
IMPORTER, ORIGIN, PARTNER, FORMER, BLOC, HOST, MEMBER, SECOND_HOST = (
    "XA",
    "XB",
    "XC",
    "XD",
    "XE",
    "XF",
    "XG",
    "XH",
)
TRUCE = "xa-xb-truce"
FRAMEWORK = "xa-xb-framework"
ARRANGEMENT = "xa-xb-arrangement"
DEAL = "xa-xc-deal"
BLOC_FRAMEWORK = "xa-xe-framework"
QUIET_DEAL = "xa-xd-deal"  # Has no measures, rounds or pledges; expired on 2026-01-01.
GLOBAL_MEASURE = "xa-global-surcharge"  # One period, in force 2026-02-24 to 2026-07-24.
ORIGIN_MEASURE = "xa-reciprocal-xb-order-2"  # One period: 125% from 2025-04-10 to 2025-05-14.
PARTNER_MEASURE = "xa-reciprocal-xc-order-2"  # All-in 15% from 2025-08-07; carves out 8703.
DRUGS_MEASURE = "xa-drugs-xb-order-1"
INVESTMENT = "xc-xa-investment"
PURCHASE = "xb-xa-soybeans"
TOYS, SOYBEANS, CHIPS, CARS = "950300", "120190", "854231", "8703"


@contextmanager
def change_reason(reason: str) -> Iterator[None]:
    """Every audit record written inside carries `reason`, unless its write gave its own."""

    def stamp(sender: Any, history_instance: Any, **kwargs: Any) -> None:
        if not history_instance.history_change_reason:
            history_instance.history_change_reason = reason

    pre_create_historical_record.connect(stamp, dispatch_uid="tests.factories.change_reason")
    try:
        yield
    finally:
        pre_create_historical_record.disconnect(dispatch_uid="tests.factories.change_reason")


def build_world() -> World:
    with change_reason(CHANGE_REASON):
        return _build_world()


def _build_world() -> World:
    """Economies with a bloc, products, sources, five agreements with extensions and rounds,
    pledges, and XA's duties on XB's toys shaped like a year of tariff escalation:

    on XB's toys (950300), XA's total is 10% from 2025-03-01, 20% from 03-04, 30% from
    04-05, 104% from 04-09, 145% from 04-10 and 30% again from 05-14 (base 0%).
    """
    world = World()
    for code, name in (
        (IMPORTER, "Arcadia"),
        (ORIGIN, "Borduria"),
        (PARTNER, "Carpathia"),
        (FORMER, "Dalmatia"),
        (HOST, "Freedonia"),
        (MEMBER, "Genovia"),
        (SECOND_HOST, "Halcyon"),
    ):
        economy(code, name)
    bloc(
        BLOC,
        "Eurasian Test Union",
        members=[(MEMBER, "1958-01-01", None), (FORMER, "1973-01-01", "2020-02-01")],
    )
    for code, description in (
        ("95", "Toys, games and sports requisites"),
        ("9503", "Tricycles, scooters, dolls and other toys"),
        (TOYS, "Tricycles, scooters, dolls, puzzles and scale models"),
        ("12", "Oil seeds and oleaginous fruits"),
        ("1201", "Soya beans"),
        (SOYBEANS, "Soya beans, other than seed"),
        ("85", "Electrical machinery"),
        ("8542", "Electronic integrated circuits"),
        (CHIPS, "Processors and controllers"),
        ("87", "Vehicles"),
        (CARS, "Motor cars"),
    ):
        product(code, description)

    world.sources = [
        source(
            "Semiconductor review: chips to 50% from 1 January 2025",
            url="https://example.org/notices/chips-review",
            publisher="Test Trade Office",
            note="A synthetic notice.",
        ),
        source("Joint statement on the Alphaville meeting", publisher="Test Wire"),
        source("Extension order", publisher="Test Register", published_on="2025-08-11"),
        source("Pledges announced", publisher="Test Wire"),
    ]
    notice, statement, order, pledges = world.sources
    agreements = world.agreements
    agreements[TRUCE] = agreement(
        TRUCE,
        title="Alphaville joint statement",
        kind="truce",
        parties=[IMPORTER, ORIGIN],
        announced_on="2025-05-12",
        signed_on="2025-05-12",
        effective_on="2025-05-14",
        expires_on="2025-08-12",
        summary="A 90-day truce: both sides cut their April increases.",
        sources=[statement],
        extensions=[
            ("2025-08-11", "2025-11-10", "Order T-1"),
            ("2025-11-04", "2026-11-10", "Order T-2"),
        ],
    )
    agreements[FRAMEWORK] = agreement(
        FRAMEWORK,
        kind="framework",
        parties=[IMPORTER, ORIGIN],
        announced_on="2025-06-10",
        sources=[statement],
    )
    agreements[DEAL] = agreement(
        DEAL,
        kind="deal",
        parties=[IMPORTER, PARTNER],
        announced_on="2025-07-22",
        effective_on="2025-08-07",
        sources=[pledges],
    )
    agreements[BLOC_FRAMEWORK] = agreement(
        BLOC_FRAMEWORK,
        kind="framework",
        parties=[IMPORTER, BLOC],
        announced_on="2025-07-27",
        summary="Agreed at Seaview: a 15% ceiling on most goods.",
        sources=[notice],
    )
    agreements[ARRANGEMENT] = agreement(
        ARRANGEMENT,
        kind="arrangement",
        parties=[IMPORTER, ORIGIN],
        announced_on="2025-10-30",
        effective_on="2025-11-10",
        sources=[pledges],
    )
    agreements[QUIET_DEAL] = agreement(
        QUIET_DEAL,
        kind="deal",
        parties=[IMPORTER, FORMER],
        announced_on="2025-09-01",
        effective_on="2025-09-01",
        expires_on="2026-01-01",
    )

    leads = [("Ann Able", "Finance Minister", IMPORTER, True)]
    world.rounds["Alphaville"] = negotiation_round(
        "Alphaville talks",
        city="Alphaville",
        venue="Lakeside residence",
        venue_country=HOST,
        start_date="2025-05-10",
        end_date="2025-05-11",
        agreement=agreements[TRUCE],
        delegates=[*leads, ("Chen Cao", "Vice Premier", ORIGIN, True)],
        outcome="The Alphaville joint statement.",
        sources=[statement],
    )
    world.rounds["Bravoburg"] = negotiation_round(
        "Bravoburg talks",
        city="Bravoburg",
        venue_country=HOST,
        start_date="2025-06-09",
        end_date="2025-06-10",
        agreement=agreements[FRAMEWORK],
        delegates=leads,
        sources=[statement],
    )
    world.rounds["Charliestad"] = negotiation_round(
        "Charliestad talks",
        city="Charliestad",
        venue="Town hall",
        venue_country=SECOND_HOST,
        start_date="2025-07-28",
        end_date="2025-07-29",
        agreement=agreements[TRUCE],
        delegates=[
            ("Chen Cao", "Vice Premier", ORIGIN, True),
            ("Li Lang", "Trade Representative", ORIGIN, False),
            ("Bo Baker", "Trade Representative", IMPORTER, True),
            ("Ann Able", "Finance Minister", IMPORTER, True),
        ],
        outcome="The truce extended.",
        note="Reported as the third round.",
        sources=[statement, order],
    )
    world.rounds["Deltaport"] = negotiation_round(
        "Deltaport talks",
        city="Deltaport",
        venue_country=HOST,
        start_date="2025-09-14",
        end_date="2025-09-15",
        agreement=agreements[TRUCE],
        delegates=[*leads, ("Dana Dole", "Vice Minister", ORIGIN, False)],
        sources=[statement],
    )
    world.rounds["Echo City"] = negotiation_round(
        "Echo City talks",
        city="Echo City",
        venue_country=SECOND_HOST,
        start_date="2025-10-25",
        end_date="2025-10-26",
        agreement=agreements[ARRANGEMENT],
        delegates=leads,
        sources=[pledges],
    )

    world.commitments[INVESTMENT] = commitment(
        INVESTMENT,
        agreement=agreements[DEAL],
        pledger=PARTNER,
        beneficiary=IMPORTER,
        kind="investment",
        description="A $550 billion investment vehicle.",
        amount="550000000000.00",
        currency="USD",
        announced_on="2025-07-22",
        due_by="2029-01-19",
        sources=[pledges],
    )
    world.commitments[PURCHASE] = commitment(
        PURCHASE,
        agreement=agreements[ARRANGEMENT],
        pledger=ORIGIN,
        beneficiary=IMPORTER,
        kind="purchase",
        description="At least 25 million tonnes of soybeans a year.",
        quantity="25000000.00",
        unit="tonnes a year",
        announced_on="2025-10-30",
        due_by="2029-01-01",
        sources=[pledges],
    )
    world.commitments["xb-xa-export-controls"] = commitment(
        "xb-xa-export-controls",
        agreement=agreements[ARRANGEMENT],
        pledger=ORIGIN,
        beneficiary=IMPORTER,
        kind="export_control",
        description="Licences for magnets resume.",
        announced_on="2025-10-30",
        sources=[pledges],
    )

    def add(slug: str, **kwargs: Any) -> None:
        kwargs.setdefault("sources", [notice])
        world.measures[slug] = measure(slug, **kwargs)

    add(
        "xa-mfn-950300",
        title="XA MFN: toys",
        kind="base",
        program="xa-mfn",
        origin=None,
        products=[TOYS],
        instrument="Tariff schedule, general column",
        rates=[("0.00", "2025-01-01", None)],
    )
    for number, (value, start, end) in enumerate(
        [("10", "2025-02-04", "2025-03-04"), ("20", "2025-03-04", "2025-11-10")], start=1
    ):
        add(
            f"xa-drugs-xb-order-{number}",
            title=f"XA emergency duty on XB raised to {value}% (Order D-{number})",
            legal_basis="ieepa",
            program="xa-drugs",
            instrument=f"Order D-{number}",
            rates=[(value, start, end)],
        )
    add(
        "xa-drugs-xb-order-3",
        title="XA emergency duty on XB cut to 10% (Order D-3)",
        legal_basis="ieepa",
        program="xa-drugs",
        instrument="Order D-3",
        rates=[("10", "2025-11-10", "2026-02-20")],
    )
    add(
        "xa-reciprocal-baseline",
        title="XA reciprocal baseline: 10% on all origins (Order R-0)",
        legal_basis="ieepa",
        program="xa-reciprocal",
        origin=None,
        instrument="Order R-0",
        rates=[("10", "2025-04-05", "2026-02-20")],
    )
    add(
        "xa-reciprocal-xb-order-1",
        title="XA reciprocal rate for XB: 84% (Order R-1)",
        legal_basis="ieepa",
        program="xa-reciprocal",
        instrument="Order R-1",
        rates=[("84", "2025-04-09", "2025-04-10")],
    )
    add(
        ORIGIN_MEASURE,
        title="XA reciprocal rate for XB: 125% (Order R-2)",
        legal_basis="ieepa",
        program="xa-reciprocal",
        instrument="Order R-2",
        rates=[("125", "2025-04-10", "2025-05-14")],
    )
    add(
        "xa-reciprocal-xb-order-3",
        title="XA reciprocal rate for XB under the truce: 10% (Order R-3)",
        legal_basis="ieepa",
        program="xa-reciprocal",
        instrument="Order R-3",
        agreement=agreements[TRUCE],
        rates=[
            ("10", "2025-05-14", "2025-08-12"),
            ("10", "2025-08-12", "2025-11-10"),
            ("10", "2025-11-10", "2026-02-20"),
        ],
    )
    add(
        "xa-reciprocal-xc-order-1",
        title="XA reciprocal rate for XC: 24% (Order R-1)",
        legal_basis="ieepa",
        program="xa-reciprocal",
        origin=PARTNER,
        instrument="Order R-1",
        rates=[("24", "2025-04-09", "2025-04-10"), ("24", "2025-04-10", "2025-08-07", "suspended")],
    )
    add(
        PARTNER_MEASURE,
        title="XA reciprocal rate for XC: 15% all-in (Order R-4)",
        legal_basis="ieepa",
        program="xa-reciprocal",
        kind="all_in",
        origin=PARTNER,
        excluded_products=[CARS],
        instrument="Order R-4",
        agreement=agreements[DEAL],
        rates=[("15", "2025-08-07", "2026-02-20")],
    )
    add(
        "xa-chips-xb",
        title="XA duty on XB chips: 50%",
        legal_basis="section_301",
        program="xa-chips",
        products=[CHIPS],
        instrument="Notice C-1",
        rates=[("50", "2025-01-01", None)],
    )
    add(
        "xa-cars",
        title="XA duty on cars: 25%",
        legal_basis="section_232",
        program="xa-cars",
        origin=None,
        products=[CARS],
        instrument="Proclamation P-1",
        rates=[("25", "2025-04-03", None)],
    )
    add(
        GLOBAL_MEASURE,
        title="XA temporary surcharge: 10% on all origins",
        legal_basis="section_122",
        program="xa-surcharge",
        origin=None,
        instrument="Proclamation P-2",
        rates=[("10", "2026-02-24", "2026-07-24")],
    )
    add(
        "xb-soybeans-xa",
        title="XB countermeasure on XA soybeans: 10%",
        legal_basis="countermeasure",
        program="xb-farm",
        importer=ORIGIN,
        origin=IMPORTER,
        products=["1201"],
        instrument="Notice XB-1",
        rates=[("10", "2025-03-10", None)],
    )
    add(
        "xb-reciprocal-xa",
        title="XB reciprocal countermeasure on XA: 125%",
        legal_basis="countermeasure",
        program="xb-reciprocal",
        importer=ORIGIN,
        origin=IMPORTER,
        instrument="Notice XB-2",
        rates=[("125", "2025-04-12", "2025-05-14")],
    )
    return world

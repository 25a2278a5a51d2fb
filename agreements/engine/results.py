"""What the rate engine answers: frozen dataclasses, free of Django and DRF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


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
    """The most specific line of the nomenclature that is a prefix of the HS code asked."""

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

    @property
    def base_known(self) -> bool:
        return self.base_rate is not None


@dataclass(frozen=True)
class EffectiveRate:
    """The duty on one date for one shipment, with the question it answers."""

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
    """The duty over [start, end) for one shipment, as consecutive constant periods."""

    importer: str
    origin: str
    hs: str
    start: dt.date
    end: dt.date
    scenario: Scenario
    product: ProductRef | None
    periods: tuple[Period, ...]

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


class ChargedOn(StrEnum):
    """What a component's ad valorem part is charged on."""

    VALUE = "value"
    # The value of one content only (a measure on `basis: content`).
    CONTENT = "content"
    # The rest of the value: a measure that yields to a program on its content only
    # (`yields_content_to`), where a content-basis measure of that program applies.
    VALUE_LESS_CONTENT = "value_less_content"


class WarningCode(StrEnum):
    """Why an answer is not the whole story (API.md: `warnings`)."""

    BASE_UNKNOWN = "base_unknown"
    SPECIFIC_DUTY = "specific_duty"
    CONTENT_BASIS = "content_basis"
    # A duty charged on the value less the content value: not added to the percentage.
    VALUE_LESS_CONTENT = "value_less_content"
    PRODUCT_NOT_IN_TARIFF = "product_not_in_tariff"
    NO_MEASURES_FOR_IMPORTER = "no_measures_for_importer"
    OUTSIDE_DATA_PERIOD = "outside_data_period"
    # A shipment's duty amount is not whole: what is missing to price a part.
    VALUE_MISSING = "value_missing"
    QUANTITY_MISSING = "quantity_missing"
    CONTENT_VALUE_MISSING = "content_value_missing"
    CONTENT_VALUE_AMBIGUOUS = "content_value_ambiguous"
    CURRENCY_MISMATCH = "currency_mismatch"
    DUTY_AS_TEXT = "duty_as_text"


@dataclass(frozen=True)
class Notice:
    """One warning of an answer: a code clients can act on and a sentence people can read."""

    code: WarningCode
    detail: str


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
    expression: str
    specific_amount: Decimal | None
    specific_currency: str | None
    specific_unit: str | None
    basis: str
    claim: str | None
    # What the ad valorem part is charged on: the value, one content's value (`basis:
    # content`), or the value less the content value (`yields_content_to`).
    charged_on: ChargedOn = ChargedOn.VALUE
    # For a shipment: what the component charges, in the importer's currency (two places,
    # half-up); None when the shipment lacks what it is charged on, or no shipment was given.
    duty_amount: Decimal | None = None


@dataclass(frozen=True)
class Duty:
    """The answer for one date. `base_rate` and `total_rate` are None when no base applies."""

    base_rate: Decimal | None
    additional_rate: Decimal
    total_rate: Decimal | None
    components: tuple[Component, ...]
    # False when the percentage is not the whole duty: a specific part, a duty on a content
    # or on the value less a content, or an unknown base; `warnings` says which.
    complete: bool = True
    warnings: tuple[Notice, ...] = ()
    # For a shipment (`priced`): the sum of the components' amounts, None when one is
    # unknown; and that amount as a percentage of the value.
    priced: bool = False
    duty_amount: Decimal | None = None
    ad_valorem_equivalent: Decimal | None = None

    @property
    def base_known(self) -> bool:
        return self.base_rate is not None


@dataclass(frozen=True)
class AvailableClaim:
    """A preference the shipment could claim that would change the answer."""

    claim: str
    title: str
    total_rate: Decimal | None
    # For a shipment: the duty amount the claim would give, and how much less that is.
    duty_amount: Decimal | None = None
    saving: Decimal | None = None


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
    claims: tuple[str, ...] = ()
    available_claims: tuple[AvailableClaim, ...] = ()
    # About the question rather than the duty: the code is not in the importer's tariff, no
    # data covers the date, the importer has no measures at all.
    warnings: tuple[Notice, ...] = ()
    shipment: Shipment | None = None
    # The importer's currency, which every amount is in; None when none is recorded.
    currency: str | None = None


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
    claims: tuple[str, ...] = ()
    warnings: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Shipment:
    """What a customs broker knows about the goods; every field optional."""

    value: Decimal | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    content_value: Decimal | None = None
    currency: str | None = None

    @property
    def priced(self) -> bool:
        """Whether the answer should carry amounts: a value or a quantity was given."""
        return (
            self.value is not None or self.quantity is not None or (self.content_value is not None)
        )

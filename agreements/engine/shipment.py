"""The money path: what a shipment's broker knows (customs value, quantity, content value)
turned into duty amounts.

Exact Decimal arithmetic throughout, no floats. A component's amount is its ad valorem part
(rate / 100 x the value it is charged on) plus its specific part (amount per unit x the
quantity in the duty's unit, multiplied first and divided last), rounded half-up to cents
once, at the end; the total is the sum of the rounded components, so the lines of an answer
always add up to its total. The ad valorem equivalent is total / value x 100, rounded
half-up to two places.

Nothing is guessed: a part whose input is missing (no quantity for a specific duty, no
content value for a content-basis duty, no value for an ad valorem one) has no amount, and
the answer says why and is not complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from agreements.engine import units
from agreements.engine.results import ChargedOn, Notice, Shipment, WarningCode

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# The currency customs values are declared in, per importer. No exchange rates: a shipment
# states its values in this currency or is refused.
IMPORTER_CURRENCIES: dict[str, str] = {"US": "USD", "GB": "GBP", "EU": "EUR"}


class ShipmentError(ValueError):
    """A shipment the engine cannot price as stated: names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def importer_currency(importer: str) -> str | None:
    return IMPORTER_CURRENCIES.get(importer)


def check(importer: str, shipment: Shipment) -> None:
    """Refuse what can never be priced, whatever the duties: another currency than the
    importer's, a content value above the value, a quantity without its unit."""
    currency = importer_currency(importer)
    if shipment.currency is not None and shipment.currency != currency:
        if currency is None:
            message = (
                f"No currency is recorded for importer {importer}: leave `currency` out and "
                "give values in its own currency."
            )
        else:
            message = (
                f"Values for importer {importer} are in {currency}; {shipment.currency} is "
                "not accepted (no exchange rates are applied)."
            )
        raise ShipmentError("currency", message)
    if (
        shipment.value is not None
        and shipment.content_value is not None
        and shipment.content_value > shipment.value
    ):
        raise ShipmentError("content_value", "The content value cannot exceed the value.")
    if shipment.quantity is not None and not shipment.unit:
        raise ShipmentError("unit", "A quantity needs its unit.")
    if shipment.unit and shipment.quantity is None:
        raise ShipmentError("quantity", "A unit needs a quantity.")


def money(amount: Decimal) -> Decimal:
    """Half-up to cents: the rounding of every amount of the answer."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Priced:
    """An unrounded amount, or None with the reasons it is unknown."""

    amount: Decimal | None
    missing: tuple[Notice, ...] = ()


def price(
    *,
    importer: str,
    rate: Decimal,
    specific_amount: Decimal | None,
    specific_currency: str | None,
    specific_unit: str | None,
    charged_on: ChargedOn,
    title: str,
    shipment: Shipment,
) -> Priced:
    """The exact amount of one duty on this shipment (before rounding).

    Raises ShipmentError when the quantity's unit cannot convert to the duty's.
    """
    missing: list[Notice] = []
    total = Decimal(0)
    if rate:
        taxed = taxed_value(charged_on, shipment)
        if taxed is None:
            missing.append(_missing_value(charged_on, shipment, title))
        else:
            total += rate * taxed / HUNDRED
    if specific_amount is not None and charged_on == ChargedOn.VALUE_LESS_CONTENT:
        # A duty per unit of quantity is on the whole goods: no part of the quantity is the
        # "value less the content", so it is not priced rather than charged on the wrong base.
        missing.append(
            Notice(
                WarningCode.VALUE_LESS_CONTENT,
                f"{title} is charged on the value less the content value, and its specific "
                "part per unit of quantity cannot be split that way: it is not priced.",
            )
        )
    elif specific_amount is not None:
        currency = importer_currency(importer)
        if specific_currency and specific_currency != currency:
            missing.append(
                Notice(
                    WarningCode.CURRENCY_MISMATCH,
                    f"{title}: its specific part is in {specific_currency}, values for "
                    f"{importer} are in {currency or 'an unrecorded currency'}; no exchange "
                    "rates are applied, so it is not priced.",
                )
            )
        elif shipment.quantity is None or not shipment.unit:
            missing.append(
                Notice(
                    WarningCode.QUANTITY_MISSING,
                    f"{title} is charged per {specific_unit}: give `quantity` and `unit` to "
                    "price it.",
                )
            )
        else:
            try:
                numerator, denominator = units.ratio(shipment.unit, specific_unit or "")
            except units.UnitError as error:
                raise ShipmentError("unit", f"{title}: {error}") from error
            total += specific_amount * shipment.quantity * numerator / denominator
    if missing:
        return Priced(None, tuple(missing))
    return Priced(total)


def taxed_value(charged_on: ChargedOn, shipment: Shipment) -> Decimal | None:
    """What an ad valorem rate is charged on, or None when the shipment does not say."""
    if charged_on == ChargedOn.CONTENT:
        return shipment.content_value
    if charged_on == ChargedOn.VALUE_LESS_CONTENT:
        if shipment.value is None or shipment.content_value is None:
            return None
        return shipment.value - shipment.content_value
    return shipment.value


def _missing_value(charged_on: ChargedOn, shipment: Shipment, title: str) -> Notice:
    if charged_on == ChargedOn.CONTENT:
        return Notice(
            WarningCode.CONTENT_VALUE_MISSING,
            f"{title} is charged on the value of one content only: give `content_value` "
            "to price it.",
        )
    if charged_on == ChargedOn.VALUE_LESS_CONTENT and shipment.value is not None:
        return Notice(
            WarningCode.CONTENT_VALUE_MISSING,
            f"{title} is charged on the value less the value of the content another duty "
            "taxes: give `content_value` to price it.",
        )
    return Notice(
        WarningCode.VALUE_MISSING, f"{title} is charged on the value: give `value` to price it."
    )


def ad_valorem_equivalent(amount: Decimal | None, value: Decimal | None) -> Decimal | None:
    """amount / value x 100, half-up to two places; None without both or at a zero value."""
    if amount is None or not value:
        return None
    return (amount * HUNDRED / value).quantize(CENT, rounding=ROUND_HALF_UP)

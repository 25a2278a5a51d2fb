"""Units of quantity as importers' tariffs print them, and the conversions that exist.

A specific duty is charged per unit of its own (the HTS's `kg`, `liter`, `doz.`, `pf.liter`,
...); a shipment states its quantity in whatever unit the broker has. A quantity converts to
the duty's unit only within one dimension (mass, volume, count, pairs, area, length), by
exact decimal factors. Everything else refuses to convert rather than guess:

- proof liters (`pf.liter`) measure alcohol, not volume: converting liters needs the
  alcoholic strength, which a shipment line does not carry, so a duty per proof liter takes a
  quantity given in proof liters only;
- content units (`Cu kg`, `kg cmsc`, `t adw`: kilograms of copper content, of contained
  sugar, air-dry tonnes) are not the mass of the goods, so they match only themselves;
- `line/gross`, `1,000 pins`, `carat`, `GBq`, ... have no conversion here and match only
  themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Unit:
    """A unit: its canonical spelling, its dimension and its size in the dimension's base."""

    code: str
    dimension: str
    factor: Decimal


# One US barrel (HTS `bbl`) is 42 US gallons of 3.785411784 liters (both exact by definition).
_BARREL_LITERS = Decimal(42) * Decimal("3.785411784")

UNITS: dict[str, Unit] = {
    unit.code: unit
    for unit in (
        Unit("kg", "mass", Decimal(1)),
        Unit("g", "mass", Decimal("0.001")),
        Unit("t", "mass", Decimal(1000)),
        Unit("100 kg", "mass", Decimal(100)),
        Unit("liter", "volume", Decimal(1)),
        Unit("hl", "volume", Decimal(100)),
        Unit("m3", "volume", Decimal(1000)),
        Unit("bbl", "volume", _BARREL_LITERS),
        Unit("pf.liter", "proof volume", Decimal(1)),
        Unit("No.", "count", Decimal(1)),
        Unit("doz.", "count", Decimal(12)),
        Unit("gross", "count", Decimal(144)),
        Unit("hundred", "count", Decimal(100)),
        Unit("thousand", "count", Decimal(1000)),
        Unit("pr.", "pairs", Decimal(1)),
        Unit("doz. pr.", "pairs", Decimal(12)),
        Unit("m2", "area", Decimal(1)),
        Unit("cm2", "area", Decimal("0.0001")),
        Unit("m", "length", Decimal(1)),
    )
}

# Spellings seen in the HTS's unit and duty columns, the UK and EU tariffs, and what people
# type, folded to lower case without surrounding spaces.
_ALIASES: dict[str, str] = {
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "gram": "g",
    "grams": "g",
    "tonne": "t",
    "tonnes": "t",
    "metric ton": "t",
    "metric tons": "t",
    "l": "liter",
    "liters": "liter",
    "litre": "liter",
    "litres": "liter",
    "hectoliter": "hl",
    "hectolitre": "hl",
    "m³": "m3",
    "barrel": "bbl",
    "barrels": "bbl",
    "pf.liters": "pf.liter",
    "pf. liter": "pf.liter",
    "pf liter": "pf.liter",
    "proof liter": "pf.liter",
    "proof liters": "pf.liter",
    "no.": "No.",
    "no": "No.",
    "number": "No.",
    "pcs": "No.",
    "pcs.": "No.",
    "pieces": "No.",
    "items": "No.",
    "item": "No.",
    "p/st": "No.",
    "each": "No.",
    "head": "No.",
    "article": "No.",
    "doz": "doz.",
    "dozen": "doz.",
    "dz pcs": "doz.",
    "hundreds": "hundred",
    "thousands": "thousand",
    "1000": "thousand",
    "1,000": "thousand",
    "pr": "pr.",
    "prs.": "pr.",
    "prs": "pr.",
    "pair": "pr.",
    "pairs": "pr.",
    "doz. prs.": "doz. pr.",
    "doz.prs.": "doz. pr.",
    "doz. pr.": "doz. pr.",
    "m²": "m2",
    "sq m": "m2",
    "square meter": "m2",
    "square meters": "m2",
    "cm²": "cm2",
    "lin. m": "m",
    "meter": "m",
    "meters": "m",
}

_SPACES = re.compile(r"\s+")


class UnitError(ValueError):
    """A quantity's unit that is unknown or does not convert to a duty's unit."""


def canonical(text: str) -> str:
    """The canonical spelling of a unit as typed or printed; an unknown unit comes back
    with its spaces tidied, so it can still match a duty printed the same way."""
    tidy = _SPACES.sub(" ", text.strip())
    folded = tidy.lower()
    if folded in _ALIASES:
        return _ALIASES[folded]
    for unit in UNITS:
        if unit.lower() == folded:
            return unit
    return tidy


def is_known(text: str) -> bool:
    return canonical(text) in UNITS


def ratio(quantity_unit: str, duty_unit: str) -> tuple[Decimal, Decimal]:
    """(numerator, denominator): one `quantity_unit` is numerator / denominator of
    `duty_unit` (1 No. is 1/12 doz.). Kept as a fraction so that the money path can multiply
    first and divide last: no repeating decimal is rounded before the cents are.

    Raises UnitError when the two do not convert.
    """
    source, target = canonical(quantity_unit), canonical(duty_unit)
    if source == target:
        return Decimal(1), Decimal(1)
    known_source, known_target = UNITS.get(source), UNITS.get(target)
    if known_source is None or known_target is None:
        raise UnitError(f"A quantity in {source!r} does not convert to {target!r}.")
    if known_source.dimension != known_target.dimension:
        if "proof volume" in (known_source.dimension, known_target.dimension):
            raise UnitError(
                f"The duty is charged per {target}; proof liters depend on the alcoholic "
                "strength, so give the quantity in proof liters (unit=pf.liter)."
            )
        raise UnitError(
            f"A quantity in {source} ({known_source.dimension}) does not convert to "
            f"{target} ({known_target.dimension})."
        )
    return known_source.factor, known_target.factor


def supported() -> str:
    """The units that convert, for error messages and the schema."""
    return ", ".join(UNITS)

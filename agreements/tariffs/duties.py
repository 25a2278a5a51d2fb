"""Duty expressions as tariffs print them, read into exact parts.

Pure Python (no Django) so anything can use it: the importers, the engine, a notebook.

A duty is an ad valorem part (a percentage of the customs value) and/or a specific part (an
amount of money per unit of quantity): "37.5¢/kg + 2.5%". The HTS also prints duties that
are neither: several parts charged on different components of a watch, sliding scales,
references to another line's duty. Those are recognised by form and kept whole; what cannot
be read at all is `unparsed`, never zero, because a duty read as zero would be a wrong answer
that looks right.

Amounts are Decimals built from the printed digits (4.4¢ is Decimal("0.044") USD); the only
inexact value is a repeating fraction ("33 1/3%"), which is rounded to two places and
flagged `rounded`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Form(StrEnum):
    FREE = "free"
    AD_VALOREM = "ad_valorem"
    SPECIFIC = "specific"
    COMPOUND = "compound"
    # Parsed, but more parts than one ad valorem and one specific (watches: a duty each, a
    # percentage on the case and another on the strap).
    MULTI_PART = "multi_part"
    # A duty with a floor or a ceiling: "... MIN 1.20 EUR / 100 kg", "... but not less than".
    BOUNDED = "bounded"
    # Different rates in different seasons of the year (the EU and UK fruit duties).
    SEASONAL = "seasonal"
    # The duty is another line's, another provision's, or "no change" (chapter 99).
    REFERENCE = "reference"
    UNPARSED = "unparsed"


# The forms a rate period stores as an ad valorem and a specific part without losing meaning.
REDUCIBLE = frozenset({Form.FREE, Form.AD_VALOREM, Form.SPECIFIC, Form.COMPOUND})

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Part:
    """One term of a duty: `ad_valorem` (amount is a percent) or `specific` (money per unit)."""

    kind: str
    amount: Decimal
    currency: str = ""
    unit: str = ""
    # What the term is charged on, as printed: "on drained weight", "on the case".
    qualifier: str = ""


@dataclass(frozen=True)
class SpecificDuty:
    amount: Decimal
    currency: str
    unit: str
    qualifier: str = ""


@dataclass(frozen=True)
class Duty:
    text: str
    form: Form
    ad_valorem: Decimal = ZERO
    ad_valorem_qualifier: str = ""
    specific: SpecificDuty | None = None
    parts: tuple[Part, ...] = ()
    # Floors and ceilings of a bounded duty.
    minimum: tuple[Part, ...] = ()
    maximum: tuple[Part, ...] = ()
    # For a reference: the words naming what the duty refers to.
    reference: str = ""
    # Why the text was not fully read (unparsed), or what a free duty is conditioned on.
    detail: str = ""
    rounded: bool = False

    @property
    def reducible(self) -> bool:
        """Whether `ad_valorem` and `specific` say all there is to say about the duty."""
        return self.form in REDUCIBLE


@dataclass(frozen=True)
class SpecialGroup:
    """One group of the Special column: a duty and the program indicators it applies to."""

    duty: Duty
    programs: tuple[str, ...] = field(default=())


# Units as the HTS and the UK/EU tariffs print them; longer spellings first so "pf. liter"
# is not read as "pf" and "1,000 pins" is not read as "1,000".
_US_UNITS = (
    r"pf\.\s?liter|pf\s?liter|line/\s?gross|lin\.\s?m|[0-9],?[0-9]{3}\s+pins|[0-9],?[0-9]{3}"
    r"|thou-?\s?sand|thousand|liter|doz\.|pr\.|No\.|clean\s+kg|kg|m2|m3|m|t|g|bbl|gross"
    r"|jewel|article|head|pack|pcs"
)
_NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"
_US_SPECIFIC = re.compile(
    rf"^(?:(?P<cents>{_NUMBER})\s*¢|\$\s*(?P<dollars>{_NUMBER}))\s*"
    rf"(?:/\s*(?P<unit>{_US_UNITS})|\s+(?P<each>each))(?![A-Za-z0-9])\s*,?\s*(?P<qualifier>.*)$"
)
_EU_SPECIFIC = re.compile(
    rf"^(?P<amount>{_NUMBER})\s*(?P<currency>EUR|GBP|€|£)\s*/\s*(?P<rest>.+)$", re.IGNORECASE
)
_EU_UNIT = re.compile(
    r"^(?P<unit>(?:[0-9][0-9,]*\s*)?(?:kg|hl|tonne|items?|m2|m3|m|l|ct/l|p/st|pa|pcs)"
    r"|%\s*vol(?:\s*/\s*hl)?)(?![A-Za-z])\s*(?P<qualifier>.*)$",
    re.IGNORECASE,
)
_AD_VALOREM = re.compile(
    r"^(?P<whole>[0-9]+(?:\.[0-9]+)?)(?:\s+(?P<num>[0-9]+)/(?P<den>[0-9]+))?"
    r"\s*(?:%|\s+percent\b)\s*(?P<qualifier>.*)$"
)
_FREE = re.compile(r"^free\b[\s,]*(?P<rest>.*)$", re.IGNORECASE)
_REFERENCE = re.compile(
    r"^(?:the\s+(?:duty|rate)\b|see\b|a\s+duty\s+(?:upon|equal|\()|no\s+change\b)", re.IGNORECASE
)
# "... + 25%", "... plus 25%", "... + a duty of 25% upon the value of the steel content".
_REFERENCE_ADDITION = re.compile(
    r"(?:\+|\bplus\b)\s*(?:a\s+duty\s+of\s+)?(?P<rate>[0-9]+(?:\.[0-9]+)?)\s*%\s*(?P<qualifier>.*)$",
    re.IGNORECASE,
)
_SLIDING = re.compile(r"\bless\b.*\bfor each\b|\bnot less\b|\bshall not exceed\b", re.IGNORECASE)
_SEASON = re.compile(r"\([0-9]{1,2}\s*[A-Z]{3,4}\s*-", re.IGNORECASE)
_BOUND = re.compile(r"\s+(MIN|MAX)\s+")
_PLUS = re.compile(r"\s*\+\s*")
_PROGRAM = re.compile(r"^[A-Z][A-Z]?[+*]?$")


def _clean(text: str) -> str:
    """Whitespace as one space, and words the PDF layout hyphenated joined again."""
    text = text.replace("\xa0", " ")
    text = re.sub(r"([a-z])- ([a-z])", r"\1\2", text)
    # "86.1¢/m2of recording surface": a unit run into the next word.
    text = re.sub(r"(?<=m2)(?=of\b)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _decimal(digits: str) -> Decimal:
    return Decimal(digits.replace(",", ""))


def _percent(value: Decimal) -> Decimal:
    # Two places at least, as rates are shown; more when the text prints more.
    return value.quantize(ZERO) if value.as_tuple().exponent >= -2 else value  # type: ignore[operator]


def _unit(raw: str) -> str:
    unit = re.sub(r"([./])\s+", r"\1", raw.strip())
    unit = re.sub(r"^pf\s?liter$", "pf.liter", unit)
    return re.sub(r"^thou-?\s?sand$", "thousand", unit)


def _read_part(text: str) -> tuple[Part | None, bool]:
    """One term, or None when it is not a form this module knows; and whether it was rounded."""
    match = _AD_VALOREM.match(text)
    if match:
        value = Decimal(match["whole"])
        rounded = False
        if match["num"]:
            numerator, denominator = int(match["num"]), int(match["den"])
            if denominator == 0:
                return None, False
            fraction = Decimal(numerator) / Decimal(denominator)
            if fraction * denominator != numerator:
                rounded = True
                fraction = fraction.quantize(Decimal("0.01"))
            value += fraction
        qualifier = match["qualifier"].strip()
        return Part("ad_valorem", _percent(value), qualifier=qualifier), rounded
    match = _US_SPECIFIC.match(text)
    if match:
        if match["cents"] is not None:
            amount = _decimal(match["cents"]).scaleb(-2)
        else:
            amount = _decimal(match["dollars"])
        unit = "each" if match["each"] else _unit(match["unit"])
        qualifier = match["qualifier"].strip()
        if unit.startswith("clean"):
            unit, qualifier = "kg", ("clean " + qualifier).strip()
        return Part("specific", amount, "USD", unit, qualifier), False
    match = _EU_SPECIFIC.match(text)
    if match:
        currency = {"€": "EUR", "£": "GBP"}.get(match["currency"], match["currency"].upper())
        unit_match = _EU_UNIT.match(match["rest"].strip())
        if not unit_match:
            return None, False
        unit = re.sub(r"\s*/\s*", "/", unit_match["unit"])
        unit = re.sub(r"^([0-9][0-9,]*)\s*", r"\1 ", unit)
        unit = re.sub(r"%\s*vol", "% vol", unit)
        qualifier = unit_match["qualifier"].strip().lstrip("/").strip()
        return Part("specific", _decimal(match["amount"]), currency, unit, qualifier), False
    return None, False


def _from_parts(text: str, parts: list[Part], rounded: bool) -> Duty:
    ad_valorem = [p for p in parts if p.kind == "ad_valorem"]
    specific = [p for p in parts if p.kind == "specific"]
    if len(ad_valorem) > 1 or len(specific) > 1:
        return Duty(text, Form.MULTI_PART, parts=tuple(parts), rounded=rounded)
    av = ad_valorem[0] if ad_valorem else None
    sp = specific[0] if specific else None
    form = Form.COMPOUND if av and sp else Form.AD_VALOREM if av else Form.SPECIFIC
    return Duty(
        text,
        form,
        ad_valorem=av.amount if av else ZERO,
        ad_valorem_qualifier=av.qualifier if av else "",
        specific=SpecificDuty(sp.amount, sp.currency, sp.unit, sp.qualifier) if sp else None,
        parts=tuple(parts),
        rounded=rounded,
    )


def _read_terms(text: str) -> tuple[list[Part], bool] | None:
    parts: list[Part] = []
    rounded = False
    for term in _PLUS.split(text):
        part, was_rounded = _read_part(term)
        if part is None:
            return None
        parts.append(part)
        rounded = rounded or was_rounded
    return parts, rounded


# Memoised: a schedule prints a few hundred texts tens of thousands of times (two HTS
# editions: 53,000 lines, 835 General texts), and a Duty is immutable.
@functools.lru_cache(maxsize=4096)
def parse_duty(text: str) -> Duty:
    """Read one duty as published (a General, Column 2 or UK/EU duty cell)."""
    published = text
    text = _clean(text)
    if text.endswith(".") and not text.endswith(("doz.", "pr.", "No.")):
        text = text[:-1].rstrip()
    if not text:
        return Duty(published, Form.UNPARSED, detail="empty")
    match = _FREE.match(text)
    if match:
        return Duty(published, Form.FREE, detail=match["rest"])
    if _REFERENCE.match(text):
        addition = _REFERENCE_ADDITION.search(text)
        if addition:
            reference = text[: addition.start()].strip()
            rate = _percent(Decimal(addition["rate"]))
            part = Part("ad_valorem", rate, qualifier=addition["qualifier"].strip())
            return Duty(
                published,
                Form.REFERENCE,
                ad_valorem=rate,
                ad_valorem_qualifier=part.qualifier,
                parts=(part,),
                reference=reference,
            )
        return Duty(published, Form.REFERENCE, reference=text)
    if _SEASON.search(text):
        return Duty(published, Form.SEASONAL, detail="rates differ by season")
    if _SLIDING.search(text):
        head = _read_part(re.split(r"\s+less\s+|,", text)[0].split(" + ")[0])[0]
        return Duty(
            published, Form.BOUNDED, parts=(head,) if head else (), detail="sliding scale or cap"
        )
    if _BOUND.search(text):
        pieces = _BOUND.split(text)
        main = _read_terms(pieces[0])
        bounds: dict[str, list[Part]] = {"MIN": [], "MAX": []}
        for keyword, bound_text in zip(pieces[1::2], pieces[2::2], strict=True):
            read = _read_terms(bound_text)
            if read is None or main is None:
                return Duty(published, Form.UNPARSED, detail=f"unreadable bound: {bound_text}")
            bounds[keyword].extend(read[0])
        assert main is not None
        return Duty(
            published,
            Form.BOUNDED,
            parts=tuple(main[0]),
            minimum=tuple(bounds["MIN"]),
            maximum=tuple(bounds["MAX"]),
        )
    read = _read_terms(text)
    if read is None:
        return Duty(published, Form.UNPARSED, detail="not a known duty form")
    return _from_parts(published, *read)


def parse_special(text: str) -> list[SpecialGroup]:
    """The Special column as (duty, program indicators) groups, in the order printed.

    "Free (A+,AU,BH) 5% (KR)" is two groups. A parenthesis that is not a list of indicators
    ("(see U.S. note 4)") is part of the duty's text. Text without any indicators is one
    group with none (chapter 99 prints its special duties that way).
    """
    return list(_special_groups(text))


@functools.lru_cache(maxsize=4096)  # As parse_duty: 770 texts on 14,000 lines an edition.
def _special_groups(text: str) -> tuple[SpecialGroup, ...]:
    text = _clean(text)
    groups: list[SpecialGroup] = []
    start = 0
    for match in re.finditer(r"\(([^()]*)\)", text):
        # Split on spaces too and drop stray dots: the 2025 edition prints "E IL" and ".OM".
        tokens = [token.strip(".") for token in re.split(r"[,\s]+", match[1])]
        programs = tuple(token for token in tokens if token)
        if not programs or not all(_PROGRAM.match(token) for token in programs):
            continue
        duty_text = text[start : match.start()].strip()
        groups.append(SpecialGroup(parse_duty(duty_text), programs))
        start = match.end()
    rest = text[start:].strip()
    if rest:
        groups.append(SpecialGroup(parse_duty(rest), ()))
    return tuple(groups)

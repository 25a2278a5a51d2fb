"""Formats shared by the database constraints, the admin forms and the API (API.md, Conventions)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

ECONOMY_CODE_REGEX = r"^[A-Z]{2}$"
HS_CODE_REGEX = r"^[0-9]{2,10}$"
CURRENCY_REGEX = r"^[A-Z]{3}$"

validate_economy_code = RegexValidator(
    ECONOMY_CODE_REGEX,
    "An economy code is two upper-case letters: ISO 3166-1 alpha-2, or EU for the Union.",
)
validate_hs_code = RegexValidator(HS_CODE_REGEX, "An HS code is 2 to 10 digits.")
validate_currency = RegexValidator(CURRENCY_REGEX, "A currency is an ISO 4217 code, e.g. USD.")

_HS_SEPARATORS = re.compile(r"[.\s]")


def normalize_hs_code(value: str) -> str:
    """`8542.31` and `8542 31` name the same line as `854231` (API.md allows both spellings)."""
    return _HS_SEPARATORS.sub("", value)


def normalize_economy_code(value: str) -> str:
    return value.strip().upper()


def clean_economy_code(value: str) -> str:
    """An economy code as typed (any case, spaces around) to its stored form, or
    ValidationError; for the admin's and the command's input (the API has its own fields)."""
    code = normalize_economy_code(value)
    validate_economy_code(code)
    return code


def clean_hs_code(value: str) -> str:
    """An HS code as typed (`9503.00`, `9503 00`) to its stored form, or ValidationError."""
    code = normalize_hs_code(value)
    validate_hs_code(code)
    return code


def hs_prefixes(code: str) -> list[str]:
    """Every code a measure may name to cover `code`: its 2-digit chapter up to itself."""
    return [code[:length] for length in range(2, len(code) + 1)]


# Invisible controls that reorder how text is displayed (the "Trojan Source" and file-name
# spoofing tricks: "txt.\u202egnp" shows as "txt.png" reversed). Arabic or Hebrew text needs
# none of them, so they are refused in every text field; right-to-left letters themselves
# and combining accents are ordinary data.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def validate_no_bidi_controls(value: object) -> None:
    if isinstance(value, str) and _BIDI_CONTROLS.search(value):
        raise ValidationError(
            "Remove the invisible text-direction control characters (U+202A to U+202E, "
            "U+2066 to U+2069, U+200E, U+200F, U+061C).",
            code="invalid",
        )

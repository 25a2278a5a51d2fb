"""Formats shared by the database constraints, the admin forms and the API (API.md, Conventions)."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator

ECONOMY_CODE_REGEX = r"^[A-Z]{2}$"
HS_CODE_REGEX = r"^[0-9]{2,10}$"
SLUG_REGEX = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
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


def hs_prefixes(code: str) -> list[str]:
    """Every code a measure may name to cover `code`: its 2-digit chapter up to itself."""
    return [code[:length] for length in range(2, len(code) + 1)]

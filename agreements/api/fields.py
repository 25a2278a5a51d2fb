"""Input fields for the codes of the contract: economies (case-insensitive) and HS codes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agreements.validators import (
    normalize_economy_code,
    normalize_hs_code,
    validate_economy_code,
    validate_hs_code,
)


class EconomyCodeField(serializers.CharField):
    """An economy code; input is case-insensitive, output is upper case."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("min_length", 2)
        super().__init__(**kwargs)
        self.validators.append(validate_economy_code)

    def to_internal_value(self, data: Any) -> str:
        return normalize_economy_code(super().to_internal_value(data))


class HSCodeField(serializers.CharField):
    """An HS code of 2 to 10 digits; dots and spaces in the input are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.validators.append(validate_hs_code)

    def to_internal_value(self, data: Any) -> str:
        return normalize_hs_code(super().to_internal_value(data))

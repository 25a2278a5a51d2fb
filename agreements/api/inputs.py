"""How the API reads the contract's keys and dates (API.md, Conventions), in one place.

Economy codes are case-insensitive and answered upper case; HS codes drop dots and spaces;
agreements are named by slug, sources and measures by id; `as_of` is a date. Each comes in
as a serializer field (bodies and the engine's query), a related field (relations written by
key), or a form field (list filters); all share the validators of `agreements.validators`,
and a key of the wrong type or format is refused before any lookup, so the 400 says what is
wrong with it rather than only that no such record exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_slug
from django.db import models
from django.utils import timezone
from django_filters.fields import ModelMultipleChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from agreements.models import Agreement, Economy, Product, Source
from agreements.models.measures import CLAIM_INPUT_REGEX, normalize_claim
from agreements.validators import (
    normalize_economy_code,
    normalize_hs_code,
    validate_economy_code,
    validate_hs_code,
)
from tradeapi.api.dates import WRONG_FORMAT, parse_date
from tradeapi.api.serializers import BoundedMany, refuse_blank_parameters


class DateFormField(forms.DateField):
    """The list filters' date field: YYYY-MM-DD only, an impossible date saying why."""

    default_error_messages = {"invalid": WRONG_FORMAT}

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        try:
            return parse_date(value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None


# How a client may spell a code, for the schema: what the fields below accept, not only the
# stored form (ECONOMY_CODE_REGEX, HS_CODE_REGEX) they normalize to. An economy code in any
# case; an HS code whose digits may be grouped by dots and spaces (8542.31, 8542 31).
ECONOMY_CODE_SPELLING = {"minLength": 2, "maxLength": 2, "pattern": "^[A-Za-z]{2}$"}
HS_CODE_SPELLING = {"pattern": r"^[.\s]*(?:[0-9][.\s]*){2,10}$"}


# Serializer fields: codes in bodies and in the engine's query string.


@extend_schema_field({"type": "string", **ECONOMY_CODE_SPELLING})
class EconomyCodeField(serializers.CharField):
    """An economy code; input is case-insensitive, output is upper case."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("min_length", 2)
        super().__init__(**kwargs)
        self.validators.append(validate_economy_code)

    def to_internal_value(self, data: Any) -> str:
        return normalize_economy_code(super().to_internal_value(data))


@extend_schema_field({"type": "string", "maxLength": 20, **HS_CODE_SPELLING})
class HSCodeField(serializers.CharField):
    """An HS code of 2 to 10 digits; dots and spaces in the input are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.validators.append(validate_hs_code)

    def to_internal_value(self, data: Any) -> str:
        return normalize_hs_code(super().to_internal_value(data))


# Related fields: relations written and read by natural key.


class SourceRelatedField(BoundedMany, serializers.PrimaryKeyRelatedField):
    """A source by id."""


class NaturalKeyRelatedField(BoundedMany, serializers.SlugRelatedField):
    """A related record by a string key, normalized and format-checked before the lookup."""

    model: type[models.Model]
    key: str
    validator: RegexValidator
    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "incorrect_type": "Incorrect type. Expected a string, received {data_type}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", self.key)
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", self.model._default_manager.all())
        super().__init__(**kwargs)

    def normalize(self, value: str) -> str:
        return value

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        data = self.normalize(data)
        try:
            self.validator(data)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages, code="invalid") from error
        return super().to_internal_value(data)


class EconomyRelatedField(NaturalKeyRelatedField):
    """An economy by code; input is case-insensitive, output upper case."""

    model = Economy
    key = "code"
    validator = validate_economy_code

    def normalize(self, value: str) -> str:
        return normalize_economy_code(value)


class ProductRelatedField(NaturalKeyRelatedField):
    """An HS code known to the nomenclature; dots and spaces in the input are dropped."""

    model = Product
    key = "code"
    validator = validate_hs_code

    def normalize(self, value: str) -> str:
        return normalize_hs_code(value)


class AgreementRelatedField(NaturalKeyRelatedField):
    """An agreement by slug."""

    model = Agreement
    key = "slug"
    validator = validate_slug


def sources_field() -> Any:
    """The `sources` of a sourced record: ids, at least one."""
    return SourceRelatedField(
        queryset=Source.objects.all(),
        many=True,
        allow_empty=False,
        help_text="Ids of the sources for this record; at least one.",
    )


# Form fields of the list filters. `openapi_schema` is what a field accepts, for the filter's
# parameter in the schema (tradeapi.api.schema.FilterParameters): drf-spectacular sees
# only a string there.

NUL = "null_characters_not_allowed"


def refuse_nul(field: forms.Field, value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(field.error_messages[NUL], code=NUL)


class KeyFormField(forms.ModelChoiceField):
    """A record by key; declares the NUL refusal so the schema documents its code."""

    default_error_messages = {NUL: "Null characters are not allowed."}

    def normalize(self, value: str) -> str:
        return value

    def to_python(self, value: Any) -> Any:
        refuse_nul(self, value)
        if isinstance(value, str):
            value = self.normalize(value)
        return super().to_python(value)


class SlugFormField(KeyFormField):
    # Django's slug format (validate_slug), which agreement slugs are stored in.
    openapi_schema: ClassVar[dict[str, Any]] = {"pattern": "^[-a-zA-Z0-9_]+$"}


class EconomyCodeFormField(KeyFormField):
    openapi_schema: ClassVar[dict[str, Any]] = ECONOMY_CODE_SPELLING

    def normalize(self, value: str) -> str:
        return normalize_economy_code(value)


class EconomyCodesFormField(ModelMultipleChoiceField):
    openapi_schema: ClassVar[dict[str, Any]] = ECONOMY_CODE_SPELLING
    default_error_messages = {NUL: "Null characters are not allowed."}

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for item in value:
                refuse_nul(self, item)
            value = [normalize_economy_code(v) if isinstance(v, str) else v for v in value]
        return super().clean(value)


class IdFormField(KeyFormField):
    openapi_schema: ClassVar[dict[str, Any]] = {"minimum": 1}

    def to_python(self, value: Any) -> Any:
        # A numeric string too large for a database integer would overflow in the driver.
        if value not in self.empty_values and (not str(value).isdigit() or len(str(value)) > 18):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class HSCodeFormField(forms.CharField):
    openapi_schema: ClassVar[dict[str, Any]] = HS_CODE_SPELLING

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_hs_code(value) if value else value

    default_validators = [validate_hs_code]


class ClaimFormField(forms.CharField):
    """A program indicator, case-insensitive (API.md), matched as stored: upper case."""

    # The pattern as JSON Schema writes it: ECMA regexes have no \\Z.
    openapi_schema: ClassVar[dict[str, Any]] = {
        "maxLength": 6,
        "pattern": CLAIM_INPUT_REGEX.removesuffix("\\Z") + "$",
    }
    default_validators = [
        RegexValidator(CLAIM_INPUT_REGEX, "A claim is a program indicator, e.g. S, KR or A+.")
    ]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 6)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalize_claim(value) if value else value


class ProductFormField(KeyFormField):
    openapi_schema: ClassVar[dict[str, Any]] = HS_CODE_SPELLING

    def normalize(self, value: str) -> str:
        return normalize_hs_code(value)


# Query parameters shared by several views.

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="Date the agreement's `status` and `expires_on` are computed for, as known "
    "that day (YYYY-MM-DD, default today).",
)


def as_of(request: Request | None) -> dt.date:
    """`?as_of=YYYY-MM-DD`, default today; a blank, malformed or impossible date is a 400
    naming `as_of`."""
    if request is None or "as_of" not in request.query_params:
        return timezone.localdate()
    refuse_blank_parameters(request.query_params, ["as_of"])
    raw = request.query_params["as_of"]
    try:
        return parse_date(raw)
    except ValueError as error:
        raise serializers.ValidationError({"as_of": [str(error)]}, code="invalid") from error


PARTY = OpenApiParameter(
    "party",
    {"type": "array", "items": {"type": "string", **ECONOMY_CODE_SPELLING}},
    explode=True,
    description="Code of a party, case-insensitive; repeat it (`party=US&party=CN`): all "
    "must be parties.",
)

"""Relations written and read by natural key, and the base serializer that runs model rules.

Economies and products by code, agreements by slug (API.md, Conventions). A key of the
wrong type or format is refused before the lookup, so the 400 says what is wrong with it
rather than only that no such record exists.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator, validate_slug
from django.db import models
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from agreements.models import Agreement, Economy, Product, Source
from agreements.validators import (
    normalize_economy_code,
    normalize_hs_code,
    validate_economy_code,
    validate_hs_code,
)

# The longest list a write may carry: above any real scope (a measure names HS prefixes,
# not every line; the EU has 27 members), and low enough that a hostile list of 10,000
# keys is refused before 10,000 lookups.
MAX_RELATED = 1000


class BoundedManyRelatedField(serializers.ManyRelatedField):
    default_error_messages = {
        **serializers.ManyRelatedField.default_error_messages,
        "max_length": "Ensure this list has no more than {max_length} items.",
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, list) and len(data) > MAX_RELATED:
            self.fail("max_length", max_length=MAX_RELATED)
        return super().to_internal_value(data)


class BoundedMany:
    """Related-field mixin: `many=True` builds a list field capped at MAX_RELATED keys."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> BoundedManyRelatedField:
        # As DRF's RelatedField.many_init, with our list field in place of its own.
        options = {k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS}
        child: Any = cls(*args, **kwargs)
        return BoundedManyRelatedField(child_relation=child, **options)


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
        except DjangoValidationError as error:
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


class ModelValidatedSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (field validators, clean(), Meta.constraints).

    DRF does not call Model.full_clean(); without this, a broken invariant would reach the
    database and come back as an IntegrityError instead of a 400 naming the field.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model: type[models.Model] = self.Meta.model
        many_to_many = {field.name for field in model._meta.many_to_many}
        instance = self.unsaved_instance(attrs)
        try:
            instance.full_clean(exclude=list(many_to_many))
        except DjangoValidationError as error:
            raise serializers.ValidationError(drf_errors(error)) from error
        return attrs

    def unsaved_instance(self, attrs: dict[str, Any]) -> models.Model:
        """The record as it would be saved (without its many-to-many relations)."""
        model: type[models.Model] = self.Meta.model
        many_to_many = {field.name for field in model._meta.many_to_many}
        instance = model() if self.instance is None else _copy(self.instance)
        for name, value in attrs.items():
            if name not in many_to_many and not isinstance(value, list):
                setattr(instance, name, value)
        return instance


def _copy(instance: models.Model) -> models.Model:
    clone = type(instance)()
    for field in instance._meta.concrete_fields:
        setattr(clone, field.attname, getattr(instance, field.attname))
    clone._state.adding = False
    return clone


def drf_errors(error: DjangoValidationError) -> Any:
    """Django's validation errors keyed as DRF keys them (`__all__` is `non_field_errors`)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): value
            for key, value in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}

"""Serializer building blocks every API app shares: model validation as 400s, and capped
lists of related keys."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.settings import api_settings

from tradeapi.api.dates import DateField

# The longest list of related keys a write may carry: above any real scope, and low enough
# that a hostile list of 10,000 keys is refused before 10,000 lookups.
MAX_RELATED = 1000


def model_errors(error: DjangoValidationError) -> Any:
    """Django's validation errors as DRF's, codes kept; Django's `__all__` is DRF's
    `non_field_errors`, so every client sees one name for record-wide errors."""
    detail = serializers.as_serializer_error(error)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return detail


class ModelValidatedSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (field validators, clean(), Meta.constraints).

    DRF does not call Model.full_clean(); without this, a broken invariant would reach the
    database and come back as an IntegrityError instead of a 400 naming the field.

    Model dates are read by the API's own date field, which tells an impossible date
    (2025-02-30) from a malformed one as the query strings do.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
    }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model: type[models.Model] = self.Meta.model
        many_to_many = {field.name for field in model._meta.many_to_many}
        instance = self.unsaved_instance(attrs)
        try:
            instance.full_clean(exclude=list(many_to_many))
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error
        return attrs

    def unsaved_instance(self, attrs: dict[str, Any]) -> models.Model:
        """The record as it would be saved (without its many-to-many relations)."""
        model: type[models.Model] = self.Meta.model
        many_to_many = {field.name for field in model._meta.many_to_many}
        concrete = {field.name for field in model._meta.concrete_fields}
        instance = model() if self.instance is None else _copy(self.instance)
        for name, value in attrs.items():
            # A list is a relation or nested records (delegates), set by the save, unless
            # the model stores it in a column of its own (a JSON list).
            if name not in many_to_many and (name in concrete or not isinstance(value, list)):
                setattr(instance, name, value)
        return instance


def _copy(instance: models.Model) -> models.Model:
    clone = type(instance)()
    for field in instance._meta.concrete_fields:
        setattr(clone, field.attname, getattr(instance, field.attname))
    clone._state.adding = False
    return clone


class BoundedManyRelatedField(serializers.ManyRelatedField):
    """DRF's list of related keys, capped at MAX_RELATED before any lookup. (DRF gives
    ListSerializer and ListField a `max_length`, but not ManyRelatedField.)"""

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


class StrictCharField(serializers.CharField):
    """Text that must come as a JSON string: DRF's CharField also takes 5 for "5"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class DistinctListField(serializers.ListField):
    """A list stored as one value (a JSON column) of hashable items (strings, numbers): at
    most MAX_RELATED items, like the lists of related keys, counted before any item is
    read; and each item once."""

    default_error_messages = {
        **serializers.ListField.default_error_messages,
        "duplicate": "Each item at most once; repeated: {items}.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_RELATED)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        values: list[Any] = super().to_internal_value(data)
        # Compared after the items' own normalization: "s" and "S" are one claim.
        repeated = sorted(str(value) for value, n in Counter(values).items() if n > 1)
        if repeated:
            self.fail("duplicate", items=", ".join(repeated))
        return values


def unknown_parameters_error(names: Iterable[str]) -> serializers.ValidationError:
    """A query parameter an operation does not know is a 400 naming it: a typo (`dat=` for
    `date=`) must never silently change an answer."""
    return serializers.ValidationError(
        {name: [UNKNOWN_PARAMETER_MESSAGE] for name in sorted(names)}, code=UNKNOWN_PARAMETER
    )


UNKNOWN_PARAMETER = "unknown_parameter"
UNKNOWN_PARAMETER_MESSAGE = "This operation has no such query parameter."
# Accepted by every operation: DRF's format override (`?format=csv`).
ALWAYS_KNOWN = frozenset({"format"})

# A query parameter sent empty (`?as_of=`, `?importer=`) or as spaces only. Django's forms,
# django-filter and DRF read it as "not given": a client whose variable was unset would get
# every row, or today, while believing it asked for one economy or one date. It is refused
# instead, naming the parameter, with one code and message whatever the parameter's type.
# Words to search for are the one exception (tradeapi.api.filters): no words match all.
BLANK = "blank"
BLANK_MESSAGE = "This parameter may not be empty: give a value, or leave it out."


def is_blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def refuse_blank_parameters(query: Mapping[str, Any], names: Iterable[str]) -> None:
    """A 400 naming each of `names` sent blank in `query` (any of its values, when repeated)."""
    blank = set()
    for name in names:
        values: list[Any] = (
            query.getlist(name) if isinstance(query, QueryDict) else [query.get(name)]
        )
        if any(is_blank(value) for value in values):
            blank.add(name)
    if blank:
        raise serializers.ValidationError(
            {name: [BLANK_MESSAGE] for name in sorted(blank)}, code=BLANK
        )


def validate_query(serializer: serializers.Serializer[Any], query: Mapping[str, Any]) -> Any:
    """The validated query of a view whose parameters are a serializer's fields, refusing
    parameters it does not declare and blank values (BLANK) of the others."""
    unknown = set(query) - set(serializer.fields) - ALWAYS_KNOWN
    if unknown:
        raise unknown_parameters_error(unknown)
    refuse_blank_parameters(
        query,
        [name for name in query if not getattr(serializer.fields.get(name), "allow_blank", False)],
    )
    return serializer.run_validation(query)

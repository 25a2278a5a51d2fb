"""Representations of measures and their dated rate periods (API.md, Resources)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers

from agreements.api.relations import (
    AgreementRelatedField,
    EconomyRelatedField,
    ModelValidatedSerializer,
    ProductRelatedField,
    drf_errors,
    sources_field,
)
from agreements.models import Measure, Rate
from agreements.models.choices import LegalBasis, MeasureKind


class RateSummarySerializer(serializers.ModelSerializer):
    """A rate period embedded in its measure (read-only there; written through rates/)."""

    class Meta:
        model = Rate
        fields = ["id", "rate", "valid_from", "valid_to", "status", "note"]


class MeasureSerializer(ModelValidatedSerializer):
    """A duty set by one legal instrument for a scope of importer, origins and products."""

    importer = EconomyRelatedField(help_text="Code of the economy levying the duty.")
    origin = EconomyRelatedField(
        required=False, allow_null=True, help_text="Code of the origin; null for all origins."
    )
    excluded_origins = EconomyRelatedField(
        many=True, required=False, help_text="Origins exempt from an all-origins measure."
    )
    products = ProductRelatedField(
        many=True, required=False, help_text="HS prefixes covered; empty for all goods."
    )
    excluded_products = ProductRelatedField(
        many=True, required=False, help_text="HS prefixes carved out of the scope."
    )
    agreement = AgreementRelatedField(
        required=False, allow_null=True, help_text="Slug of the agreement it implements."
    )
    sources = sources_field()
    rates = RateSummarySerializer(
        many=True, read_only=True, help_text="Its dated rate periods (written via rates/)."
    )

    class Meta:
        model = Measure
        fields = [
            "id",
            "slug",
            "title",
            "importer",
            "origin",
            "excluded_origins",
            "products",
            "excluded_products",
            "legal_basis",
            "instrument",
            "program",
            "kind",
            "agreement",
            "note",
            "sources",
            "rates",
        ]


class RateSerializer(ModelValidatedSerializer):
    """A dated rate period; the measure's scope is repeated read-only for convenience."""

    measure = serializers.PrimaryKeyRelatedField(
        queryset=Measure.objects.all(), help_text="Id of the measure."
    )
    importer = serializers.CharField(
        source="measure.importer_id", read_only=True, help_text="The measure's importer."
    )
    origin = serializers.CharField(
        source="measure.origin_id",
        read_only=True,
        allow_null=True,
        help_text="The measure's origin; null for all origins.",
    )
    legal_basis = serializers.ChoiceField(
        choices=LegalBasis.choices,
        source="measure.legal_basis",
        read_only=True,
        help_text="The measure's legal basis.",
    )
    kind = serializers.ChoiceField(
        choices=MeasureKind.choices,
        source="measure.kind",
        read_only=True,
        help_text="The measure's kind: `base`, `additional` or `all_in`.",
    )
    title = serializers.CharField(
        source="measure.title", read_only=True, help_text="The measure's title."
    )

    class Meta:
        model = Rate
        fields = [
            "id",
            "measure",
            "rate",
            "valid_from",
            "valid_to",
            "status",
            "note",
            "importer",
            "origin",
            "legal_basis",
            "kind",
            "title",
        ]

    def create(self, validated_data: dict[str, Any]) -> Rate:
        with self._overlap_as_400(validated_data):
            return super().create(validated_data)

    def update(self, instance: Rate, validated_data: dict[str, Any]) -> Rate:
        with self._overlap_as_400(validated_data):
            return super().update(instance, validated_data)

    @contextmanager
    def _overlap_as_400(self, attrs: dict[str, Any]) -> Iterator[None]:
        """On PostgreSQL an exclusion constraint refuses overlapping in-force periods even
        when a concurrent write slipped past validate(); answer the same 400 as validate()
        would have, naming the period it collides with."""
        try:
            with transaction.atomic():
                yield
        except IntegrityError as error:
            if _violated_constraint(error) != OVERLAP_CONSTRAINT:
                raise
            try:
                self.unsaved_instance(attrs).clean()
            except DjangoValidationError as clean_error:
                raise serializers.ValidationError(drf_errors(clean_error)) from error
            # The colliding period was deleted in the meantime: still refuse this write.
            raise serializers.ValidationError(
                {"valid_from": ["Overlaps another in-force period of the same measure."]}
            ) from error


OVERLAP_CONSTRAINT = "rate_in_force_no_overlap"  # Migration 0002, PostgreSQL only.


def _violated_constraint(error: IntegrityError) -> str | None:
    diagnostics = getattr(error.__cause__, "diag", None)
    return getattr(diagnostics, "constraint_name", None)

"""Representations of measures and their dated rate periods (API.md, Resources)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from agreements import services
from agreements.api.inputs import (
    AgreementRelatedField,
    EconomyRelatedField,
    ProductRelatedField,
    sources_field,
)
from agreements.models import Measure, Rate
from agreements.models.choices import LegalBasis, MeasureKind
from tradeapi.api.serializers import ModelValidatedSerializer, model_errors


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
        return self._save(Rate(), validated_data)

    def update(self, instance: Rate, validated_data: dict[str, Any]) -> Rate:
        return self._save(instance, validated_data)

    def _save(self, rate: Rate, attrs: dict[str, Any]) -> Rate:
        for name, value in attrs.items():
            setattr(rate, name, value)
        try:
            return services.rate_save(rate=rate)
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error

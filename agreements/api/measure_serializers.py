"""Representations of measures and their dated rate periods (API.md, Resources)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from agreements import services
from agreements.api.inputs import (
    AgreementRelatedField,
    EconomyRelatedField,
    ProductRelatedField,
    sources_field,
)
from agreements.models import Measure, Rate
from agreements.models.choices import LegalBasis, MeasureKind
from agreements.models.measures import CLAIM_INPUT_REGEX, normalize_claim
from agreements.validators import SLUG_REGEX
from tradeapi.api.serializers import (
    DistinctListField,
    ModelValidatedSerializer,
    StrictCharField,
    model_errors,
)

CLAIM_MESSAGE = "A claim is a program indicator, e.g. S, KR or A+."
validate_claim_input = RegexValidator(CLAIM_INPUT_REGEX, CLAIM_MESSAGE)
# Anchored with \Z: `$` would let a trailing newline by.
validate_program = RegexValidator(
    SLUG_REGEX.removesuffix("$") + r"\Z",
    "A program is a slug: lower-case letters and digits, words joined by hyphens.",
)


class ClaimCodeField(StrictCharField):
    """One program indicator as typed, stored upper case."""

    def to_internal_value(self, data: Any) -> str:
        return normalize_claim(super().to_internal_value(data))


# One string schema, the empty string and null included: drf-spectacular's own for a
# nullable, blankable field with a pattern is a typeless `oneOf`, which the OpenAPI linters
# refuse (a `nullable` needs a sibling `type`).
@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "maxLength": 6,
        "pattern": "^([A-Za-z][A-Za-z0-9]{0,4}[+*]?)?$",
    }
)
class ClaimField(ClaimCodeField):
    """A measure's claim: "none" is null in answers and null or "" in writes (the model
    stores ""), so a client never has to tell the two apart."""

    def run_validation(self, data: Any = empty) -> Any:
        # No claim, either way: not a blank field (a blankable one's schema is a `oneOf`).
        if data is None or data == "":
            return ""
        return super().run_validation(data)

    def to_representation(self, value: Any) -> str | None:  # type: ignore[override]
        return str(value) if value else None


class CodeListField(DistinctListField):
    """A measure's list of claims or programs. Beyond the list's own checks, the measure's
    rules (Measure.clean: not its own program; `yields_content_to` not on a base rate; no
    cycle of programs yielding to each other) answer `invalid` naming the list."""

    default_error_messages = {
        **DistinctListField.default_error_messages,
        "invalid": "Not allowed for this measure.",
    }


def claim_list(help_text: str) -> CodeListField:
    return CodeListField(
        child=ClaimCodeField(max_length=6, validators=[validate_claim_input]),
        required=False,
        help_text=help_text,
    )


def program_list(help_text: str) -> CodeListField:
    return CodeListField(
        child=StrictCharField(max_length=120, validators=[validate_program]),
        required=False,
        help_text=help_text,
    )


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
    claim = ClaimField(
        required=False,
        allow_null=True,
        max_length=6,
        validators=[validate_claim_input],
        help_text="The preference a shipment must claim for the measure to apply: a program "
        "indicator as the importer's tariff prints it in its Special column (US: `S` or `S+` "
        "for USMCA, `KR`, `A+`), case-insensitive, answered upper case; null: applies without "
        "a claim. A write of null or an empty string means no claim.",
    )
    waived_by = claim_list(
        "Claims that switch the measure off, each once, case-insensitive (answered upper "
        'case): `["S", "S+"]` for goods qualifying under USMCA. Empty: no claim does.'
    )
    yields_to = program_list(
        "Programs this measure gives way to, each once: it does not apply where an applicable "
        "measure of one of them applies to the same shipment. Not its own program; a write "
        "that would make programs yield to each other in a cycle, on a day their measures "
        "all have an in-force or announced period, is refused naming the cycle."
    )
    yields_content_to = program_list(
        "Programs this measure gives way to on their content only, each once: where a "
        "`content`-basis measure of one of them applies, this measure is charged on the value "
        "less the content value. Not its own program, nor one in `yields_to`; only on an "
        "`additional` or `all_in` measure on `basis: value`."
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
            "claim",
            "waived_by",
            "yields_to",
            "yields_content_to",
            "basis",
            "agreement",
            "note",
            "sources",
            "rates",
        ]

    def create(self, validated_data: dict[str, Any]) -> Measure:
        return self._save(Measure(), validated_data)

    def update(self, instance: Measure, validated_data: dict[str, Any]) -> Measure:
        return self._save(instance, validated_data)

    def _save(self, measure: Measure, attrs: dict[str, Any]) -> Measure:
        many_to_many = {field.name for field in Measure._meta.many_to_many}
        relations = {name: value for name, value in attrs.items() if name in many_to_many}
        for name, value in attrs.items():
            if name not in many_to_many:
                setattr(measure, name, value)
        try:
            return services.measure_save(measure=measure, relations=relations)
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error


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

"""Representations of the v1 resources (API.md, Resources).

Relations are written and read by their natural keys: economies and products by code,
agreements by slug, sources, measures and rounds by id. Fields are listed explicitly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.api.fields import EconomyCodeField
from agreements.models import (
    Agreement,
    AgreementStatus,
    BlocMembership,
    Commitment,
    Delegate,
    Economy,
    Extension,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
)
from agreements.validators import normalize_economy_code, normalize_hs_code


class EconomyRelatedField(serializers.SlugRelatedField):
    """An economy by code; input is case-insensitive."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Economy.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = normalize_economy_code(data)
        return super().to_internal_value(data)


class ProductRelatedField(serializers.SlugRelatedField):
    """An HS code known to the nomenclature; dots and spaces in the input are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Product.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = normalize_hs_code(data)
        return super().to_internal_value(data)


class AgreementRelatedField(serializers.SlugRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "slug")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Agreement.objects.all())
        super().__init__(**kwargs)


class ModelValidatedSerializer(serializers.ModelSerializer):
    """Runs the model's own validation (field validators, clean(), Meta.constraints).

    DRF does not call Model.full_clean(); without this, a broken invariant would reach the
    database and come back as an IntegrityError instead of a 400 naming the field.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model: type[models.Model] = self.Meta.model
        many_to_many = {field.name for field in model._meta.many_to_many}
        instance = model() if self.instance is None else _copy(self.instance)
        for name, value in attrs.items():
            if name not in many_to_many and not isinstance(value, list):
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=list(many_to_many))
        except DjangoValidationError as error:
            raise serializers.ValidationError(_drf_errors(error)) from error
        return attrs


def _copy(instance: models.Model) -> models.Model:
    clone = type(instance)()
    for field in instance._meta.concrete_fields:
        setattr(clone, field.attname, getattr(instance, field.attname))
    clone._state.adding = False
    return clone


def _drf_errors(error: DjangoValidationError) -> Any:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): value
            for key, value in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


class MembershipSerializer(serializers.Serializer[Any]):
    """One dated membership of a country in a bloc."""

    code = serializers.CharField(help_text="The other economy: the member, or the bloc.")
    joined_on = serializers.DateField(help_text="First day of membership.")
    left_on = serializers.DateField(
        allow_null=True, help_text="First day no longer a member; null while a member."
    )


class EconomySerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField(
        help_text="For a bloc: its member states, with dated memberships."
    )
    member_of = serializers.SerializerMethodField(
        help_text="The blocs this country belongs or belonged to, with dates."
    )

    class Meta:
        model = Economy
        fields = ["code", "name", "kind", "members", "member_of"]

    @extend_schema_field(MembershipSerializer(many=True))
    def get_members(self, obj: Economy) -> list[dict[str, Any]]:
        return [_membership(m.member_id, m) for m in obj.memberships.all()]

    @extend_schema_field(MembershipSerializer(many=True))
    def get_member_of(self, obj: Economy) -> list[dict[str, Any]]:
        return [_membership(m.bloc_id, m) for m in obj.bloc_memberships.all()]


def _membership(code: str, membership: BlocMembership) -> dict[str, Any]:
    return {"code": code, "joined_on": membership.joined_on, "left_on": membership.left_on}


class ProductSerializer(serializers.ModelSerializer):
    # DRF fields have a `parent` attribute; the serializer field of that name is fine at run
    # time (the metaclass collects it), but the stubs see a clash.
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent_id",
        read_only=True,
        allow_null=True,
        help_text="HS code of the parent line; null for a chapter.",
    )

    class Meta:
        model = Product
        fields = ["code", "level", "description", "parent"]


class SourceSerializer(ModelValidatedSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "url", "publisher", "published_on", "note"]


SOURCES_HELP = "Ids of the sources for this record; at least one."


def _sources_field() -> serializers.PrimaryKeyRelatedField[Source]:
    return serializers.PrimaryKeyRelatedField(
        queryset=Source.objects.all(), many=True, allow_empty=False, help_text=SOURCES_HELP
    )


class ExtensionSerializer(serializers.ModelSerializer):
    sources = serializers.PrimaryKeyRelatedField(  # type: ignore[var-annotated]
        many=True, read_only=True, help_text="Ids of the sources for this change."
    )

    class Meta:
        model = Extension
        fields = ["decided_on", "expires_on", "instrument", "note", "sources"]


class AgreementSerializer(ModelValidatedSerializer):
    """An agreement; `status` and `expires_on` are as known on the request's `as_of` date."""

    parties = EconomyRelatedField(many=True, help_text='Codes of the parties, e.g. ["US", "CN"].')
    sources = _sources_field()
    status = serializers.SerializerMethodField(
        help_text="Status as of `as_of` (default today): computed from the dates and the "
        "extensions decided by then."
    )
    expires_on = serializers.SerializerMethodField(
        help_text="Expiry as known on `as_of` (first day no longer in force), after the "
        "extensions decided by then; null if none."
    )
    original_expires_on = serializers.DateField(
        source="expires_on",
        required=False,
        allow_null=True,
        help_text="Expiry as originally agreed; later changes are `extensions`.",
    )
    extensions = ExtensionSerializer(
        many=True, read_only=True, help_text="Each change of expiry, in the order decided."
    )

    class Meta:
        model = Agreement
        fields = [
            "slug",
            "title",
            "kind",
            "parties",
            "status",
            "announced_on",
            "signed_on",
            "effective_on",
            "expires_on",
            "original_expires_on",
            "terminated_on",
            "binding",
            "summary",
            "note",
            "extensions",
            "sources",
        ]

    def _as_of(self) -> dt.date:
        as_of = self.context.get("as_of")
        return as_of if isinstance(as_of, dt.date) else dt.date.today()

    @extend_schema_field(serializers.ChoiceField(choices=AgreementStatus.choices))
    def get_status(self, obj: Agreement) -> str:
        return str(obj.status_as_of(self._as_of()).value)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_expires_on(self, obj: Agreement) -> dt.date | None:
        return obj.expiry_as_of(self._as_of())


class DelegateSerializer(serializers.ModelSerializer):
    economy = EconomyRelatedField(help_text="Code of the economy the official represented.")

    class Meta:
        model = Delegate
        fields = ["name", "title", "economy", "is_lead", "note"]


class NegotiationRoundSerializer(ModelValidatedSerializer):
    agreement = AgreementRelatedField(
        required=False, allow_null=True, help_text="Slug of the agreement negotiated."
    )
    venue_country = EconomyRelatedField(help_text="Code of the host country.")
    parties = EconomyRelatedField(many=True, help_text="Codes of the negotiating economies.")
    delegates = DelegateSerializer(
        many=True, required=False, help_text="Officials who took part; a write replaces them."
    )
    sources = _sources_field()

    class Meta:
        model = NegotiationRound
        fields = [
            "id",
            "agreement",
            "title",
            "city",
            "venue",
            "venue_country",
            "start_date",
            "end_date",
            "status",
            "parties",
            "delegates",
            "outcome",
            "note",
            "sources",
        ]

    def validate_delegates(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = [delegate["name"] for delegate in value]
        if len(names) != len(set(names)):
            raise serializers.ValidationError("Each delegate may appear once per round.")
        return value

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> NegotiationRound:
        delegates = validated_data.pop("delegates", [])
        round_ = super().create(validated_data)
        Delegate.objects.bulk_create(Delegate(round=round_, **d) for d in delegates)
        return round_

    @transaction.atomic
    def update(
        self, instance: NegotiationRound, validated_data: dict[str, Any]
    ) -> NegotiationRound:
        delegates = validated_data.pop("delegates", None)
        round_ = super().update(instance, validated_data)
        if delegates is not None:
            round_.delegates.all().delete()
            Delegate.objects.bulk_create(Delegate(round=round_, **d) for d in delegates)
        return round_


class CommitmentSerializer(ModelValidatedSerializer):
    agreement = AgreementRelatedField(
        required=False, allow_null=True, help_text="Slug of the agreement it belongs to."
    )
    pledger = EconomyRelatedField(help_text="Code of the economy that pledged.")
    beneficiary = EconomyRelatedField(help_text="Code of the economy pledged to.")
    sources = _sources_field()

    class Meta:
        model = Commitment
        fields = [
            "id",
            "slug",
            "agreement",
            "pledger",
            "beneficiary",
            "kind",
            "description",
            "amount",
            "currency",
            "quantity",
            "unit",
            "announced_on",
            "due_by",
            "note",
            "sources",
        ]


class RateSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Rate
        fields = ["id", "rate", "valid_from", "valid_to", "status", "note"]


class MeasureSerializer(ModelValidatedSerializer):
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
    sources = _sources_field()
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
    legal_basis = serializers.CharField(
        source="measure.legal_basis", read_only=True, help_text="The measure's legal basis."
    )
    kind = serializers.CharField(
        source="measure.kind", read_only=True, help_text="The measure's kind."
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


__all__ = [
    "AgreementSerializer",
    "CommitmentSerializer",
    "EconomyCodeField",
    "EconomySerializer",
    "MeasureSerializer",
    "NegotiationRoundSerializer",
    "ProductSerializer",
    "RateSerializer",
    "SourceSerializer",
]

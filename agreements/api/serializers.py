"""Representations of the v1 resources (API.md, Resources).

Relations are written and read by their natural keys: economies and products by code,
agreements by slug, sources, measures and rounds by id. Fields are listed explicitly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements import services
from agreements.api.inputs import (
    AgreementRelatedField,
    EconomyRelatedField,
    sources_field,
)
from agreements.api.measure_serializers import MeasureSerializer, RateSerializer
from agreements.models import (
    Agreement,
    AgreementStatus,
    BlocMembership,
    Commitment,
    Delegate,
    Economy,
    Extension,
    NegotiationRound,
    Product,
    Source,
)
from tradeapi.api.dates import DateField
from tradeapi.api.serializers import ModelValidatedSerializer, model_errors


class MembershipSerializer(serializers.Serializer[Any]):
    """One dated membership of a country in a bloc."""

    code = serializers.CharField(help_text="The other economy: the member, or the bloc.")
    joined_on = serializers.DateField(help_text="First day of membership.")
    left_on = serializers.DateField(
        allow_null=True, help_text="First day no longer a member; null while a member."
    )


class EconomySerializer(serializers.ModelSerializer):
    """An economy: a country (ISO 3166-1 alpha-2) or a bloc, with its dated memberships."""

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
    """A line of the HS nomenclature, from a 2-digit chapter to a 10-digit national line."""

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
    """A document that facts were taken from."""

    class Meta:
        model = Source
        fields = ["id", "title", "url", "publisher", "published_on", "note"]


class ExtensionSerializer(serializers.ModelSerializer):
    """One change of an agreement's expiry, embedded in the agreement (read-only there)."""

    previous_expires_on = serializers.SerializerMethodField(
        help_text="The expiry this change replaced: the one set by the previous extension, "
        "else the original; null if there was none."
    )
    sources = serializers.PrimaryKeyRelatedField(  # type: ignore[var-annotated]
        many=True, read_only=True, help_text="Ids of the sources for this change."
    )

    class Meta:
        model = Extension
        fields = [
            "decided_on",
            "expires_on",
            "previous_expires_on",
            "instrument",
            "note",
            "sources",
        ]

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_previous_expires_on(self, obj: Extension) -> dt.date | None:
        # The agreement and its extensions are prefetched: this reads no row.
        return obj.agreement.expiry_replaced_by(obj)


class AgreementSerializer(ModelValidatedSerializer):
    """An agreement; `status` and `expires_on` are as known on the request's `as_of` date."""

    parties = EconomyRelatedField(many=True, help_text='Codes of the parties, e.g. ["US", "CN"].')
    sources = sources_field()
    status = serializers.SerializerMethodField(
        help_text="Status as of `as_of` (default today): computed from the dates and the "
        "extensions decided by then."
    )
    expires_on = serializers.SerializerMethodField(
        help_text="Expiry as known on `as_of` (first day no longer in force), after the "
        "extensions decided by then; null if none."
    )
    original_expires_on = DateField(
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
    """An official at a round, with the title held then."""

    economy = EconomyRelatedField(help_text="Code of the economy the official represented.")

    class Meta:
        model = Delegate
        fields = ["name", "title", "economy", "is_lead", "note"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The text rules every record shares (TimeStampedModel.clean_fields), checked here
        # too so a bad delegate is refused with the round's other errors and named by its
        # position. Only the fields given: a PATCH checks completeness separately
        # (NegotiationRoundSerializer.validate_delegates), and the economy is resolved.
        given = set(attrs) - {"economy"}
        others = {field.name for field in Delegate._meta.concrete_fields} - given
        try:
            Delegate(**attrs).clean_fields(exclude=others)
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error
        return attrs


# A round's delegation is a handful of people, never thousands.
MAX_DELEGATES = 200


class NegotiationRoundSerializer(ModelValidatedSerializer):
    """A negotiation round; `delegates` are written with it and replace the previous set."""

    agreement = AgreementRelatedField(
        required=False, allow_null=True, help_text="Slug of the agreement negotiated."
    )
    venue_country = EconomyRelatedField(help_text="Code of the host country.")
    parties = EconomyRelatedField(many=True, help_text="Codes of the negotiating economies.")
    # The stubs lack DRF 3.15's ListSerializer max_length/min_length keywords.
    delegates = DelegateSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        # Checked before any delegate is validated: each costs a lookup of its economy.
        max_length=MAX_DELEGATES,
        help_text=f"Officials who took part (at most {MAX_DELEGATES}); a write replaces them.",
    )
    sources = sources_field()

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
        if self.partial:
            # DRF lets every nested field be missing under PATCH; but delegates replace the
            # whole delegation, so each one must be complete even then.
            complete = DelegateSerializer(
                data=self.initial_data.get("delegates"), many=True, context=self.context
            )
            if not complete.is_valid():
                raise serializers.ValidationError(complete.errors)
            value = list(complete.validated_data)
        names = [delegate["name"] for delegate in value]
        if len(names) != len(set(names)):
            raise serializers.ValidationError("Each delegate may appear once per round.")
        return value

    def create(self, validated_data: dict[str, Any]) -> NegotiationRound:
        return self._save(None, {"delegates": [], **validated_data})

    def update(
        self, instance: NegotiationRound, validated_data: dict[str, Any]
    ) -> NegotiationRound:
        return self._save(instance, validated_data)

    def _save(self, instance: NegotiationRound | None, data: dict[str, Any]) -> NegotiationRound:
        data = dict(data)
        try:
            return services.round_save(
                instance=instance,
                parties=data.pop("parties", None),
                sources=data.pop("sources", None),
                delegates=data.pop("delegates", None),
                fields=data,
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error


class CommitmentSerializer(ModelValidatedSerializer):
    """A pledge made under (or alongside) an agreement."""

    agreement = AgreementRelatedField(
        required=False, allow_null=True, help_text="Slug of the agreement it belongs to."
    )
    pledger = EconomyRelatedField(help_text="Code of the economy that pledged.")
    beneficiary = EconomyRelatedField(help_text="Code of the economy pledged to.")
    sources = sources_field()

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


__all__ = [
    "AgreementSerializer",
    "CommitmentSerializer",
    "EconomySerializer",
    "MeasureSerializer",
    "NegotiationRoundSerializer",
    "ProductSerializer",
    "RateSerializer",
    "SourceSerializer",
]

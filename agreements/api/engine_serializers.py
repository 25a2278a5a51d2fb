"""Query parameters and answers of rates/effective/ and rates/timeline/."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from agreements.api.fields import EconomyCodeField, HSCodeField
from agreements.engine import Scenario

MAX_TIMELINE_DAYS = 366 * 50


def rate_field(help_text: str, *, allow_null: bool = False) -> serializers.DecimalField:
    """A percentage as a decimal string with two places, e.g. "145.00" (API.md)."""
    return serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        coerce_to_string=True,
        allow_null=allow_null,
        help_text=help_text,
    )


def _today() -> dt.date:
    return timezone.localdate()


class ShipmentQuerySerializer(serializers.Serializer[Any]):
    """Who imports what from where: the parameters both rate endpoints share."""

    importer = EconomyCodeField(help_text="Economy levying the duty, e.g. US. Case-insensitive.")
    origin = EconomyCodeField(help_text="Country of origin of the goods, e.g. CN.")
    hs = HSCodeField(
        help_text="HS code of the goods, 2 to 10 digits; dots and spaces are ignored (8542.31)."
    )
    scenario = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in Scenario],
        default=Scenario.IN_FORCE.value,
        help_text="`in_force` counts periods in force; `announced` also counts announced "
        "periods, which then take precedence over in-force periods of the same measure.",
    )


class EffectiveQuerySerializer(ShipmentQuerySerializer):
    date = serializers.DateField(
        default=_today, help_text="Date of entry, YYYY-MM-DD. Defaults to today."
    )


class TimelineQuerySerializer(ShipmentQuerySerializer):
    # `from` is a Python keyword, so the fields are declared under other names and renamed.
    start = serializers.DateField(help_text="First day of the timeline, YYYY-MM-DD.")
    end = serializers.DateField(
        help_text="First day after the timeline, YYYY-MM-DD; after `from`, within 50 years."
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("start")
        fields["to"] = fields.pop("end")
        fields["from"].source = "start"
        fields["to"].source = "end"
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            # Either date may be the mistake, so the error names both.
            raise serializers.ValidationError(
                {"from": "`from` must be before `to`.", "to": "`to` must be after `from`."}
            )
        if (attrs["end"] - attrs["start"]).days > MAX_TIMELINE_DAYS:
            raise serializers.ValidationError({"to": "The timeline may span at most 50 years."})
        return attrs


class ProductRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="The most specific known HS line covering `hs`.")
    description = serializers.CharField(help_text="Its description.")


class ComponentSerializer(serializers.Serializer[Any]):
    """One applied measure and what it adds."""

    measure = serializers.IntegerField(help_text="Id of the measure.")
    rate_id = serializers.IntegerField(help_text="Id of the rate period applied.")
    title = serializers.CharField(help_text="Title of the measure.")
    legal_basis = serializers.CharField(help_text="Legal basis of the measure.")
    instrument = serializers.CharField(help_text="The act setting the duty.")
    program = serializers.CharField(help_text="Program; only one measure per program applies.")
    kind = serializers.CharField(help_text="`base`, `additional` or `all_in`.")
    rate = rate_field("The measure's rate, percent.")
    applied_rate = rate_field(
        "What it contributes: the base rate for the base measure, the rate for an "
        "additional one, max(0, rate - base) for an all-in one."
    )
    valid_from = serializers.DateField(help_text="First day of the rate period.")
    valid_to = serializers.DateField(
        allow_null=True, help_text="First day after the period; null if open-ended."
    )
    agreement = serializers.CharField(
        allow_null=True, help_text="Slug of the agreement the measure implements, if any."
    )
    matched_product = serializers.CharField(
        allow_null=True,
        help_text="The measure's HS prefix that matched; null when it covers all goods.",
    )


class DutyFieldsSerializer(serializers.Serializer[Any]):
    base_rate = rate_field("Lowest applicable base rate; null when unknown.", allow_null=True)
    additional_rate = rate_field("Sum of what the additional and all-in measures add.")
    total_rate = rate_field(
        "base_rate + additional_rate; null when the base is unknown.", allow_null=True
    )
    components = ComponentSerializer(many=True, help_text="The applied measures.")


class AnswerHeaderSerializer(serializers.Serializer[Any]):
    """The fields both rate answers repeat from the question."""

    importer = serializers.CharField(help_text="Importer code.")
    origin = serializers.CharField(help_text="Origin code.")
    hs = serializers.CharField(help_text="HS code asked for, digits only.")
    scenario = serializers.CharField(help_text="Scenario used.")
    product = ProductRefSerializer(
        allow_null=True, help_text="Most specific known HS line covering `hs`, or null."
    )


class EffectiveRateSerializer(AnswerHeaderSerializer, DutyFieldsSerializer):
    """The duty on one date, with its breakdown."""

    date = serializers.DateField(help_text="Date of entry.")


class PeriodSerializer(DutyFieldsSerializer):
    """A stretch of the timeline with a constant answer."""

    valid_from = serializers.DateField(help_text="First day of the period.")
    valid_to = serializers.DateField(help_text="First day after the period.")


class TimelineSerializer(AnswerHeaderSerializer):
    """How the duty changed between `from` and `to`."""

    start = serializers.DateField(help_text="First day of the timeline (`from`).")
    end = serializers.DateField(help_text="First day after the timeline (`to`).")
    periods = PeriodSerializer(many=True, help_text="Consecutive periods, in date order.")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Output keys `from` and `to` mirror the query parameters; both are Python keywords.
        fields = super().get_fields()
        fields["from"] = fields.pop("start")
        fields["to"] = fields.pop("end")
        return _reorder(fields, ["importer", "origin", "hs", "from", "to"])


def _reorder(fields: dict[str, Any], first: list[str]) -> dict[str, Any]:
    return {**{name: fields[name] for name in first}, **fields}

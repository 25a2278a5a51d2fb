"""The rate engine over HTTP: rates/effective/ and rates/timeline/ (JSON or CSV).

Their query parameters, their answers as the schema documents them, and the views that ask
`agreements.engine`, in one module because they change together.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import fields, replace
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements import engine
from agreements.api.inputs import EconomyCodeField, HSCodeField
from agreements.models.choices import MeasureBasis
from tradeapi.api.renderers import CSVRenderer
from tradeapi.api.serializers import validate_query

# Query parameters and answers.

MAX_TIMELINE_DAYS = 366 * 50
# As the models store claims (upper case), but accepting the case a client types.
CLAIM_INPUT_REGEX = r"[A-Za-z][A-Za-z0-9]{0,4}[+*]?"
MAX_CLAIMS = 20


def rate_field(help_text: str, *, allow_null: bool = False) -> serializers.DecimalField:
    """A percentage as a decimal string with two places, e.g. "145.00" (API.md)."""
    return serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        coerce_to_string=True,
        allow_null=allow_null,
        help_text=help_text,
    )


class ClaimsField(serializers.ListField):
    """Repeated `claim=` values, upper-cased. A bad one is an error of `claim` itself (not of
    `claim.0`): a query string has no positions a client could point at."""

    default_error_messages = {
        **serializers.ListField.default_error_messages,
        "invalid": "A claim is a program indicator, e.g. S, KR or A+ (at most 20 claims).",
    }

    def to_internal_value(self, data: Any) -> list[str]:
        values = data if isinstance(data, list) else [data]
        if len(values) > MAX_CLAIMS:
            self.fail("invalid")
        claims = []
        for value in values:
            if not isinstance(value, str) or not re.fullmatch(CLAIM_INPUT_REGEX, value):
                self.fail("invalid")
            claims.append(value.upper())
        return claims


def _today() -> dt.date:
    return timezone.localdate()


class ShipmentQuerySerializer(serializers.Serializer[Any]):
    """Who imports what from where: the parameters both rate endpoints share."""

    importer = EconomyCodeField(help_text="Economy levying the duty, e.g. US. Case-insensitive.")
    origin = EconomyCodeField(help_text="Country of origin of the goods, e.g. CN.")
    hs = HSCodeField(
        help_text="HS code of the goods, 2 to 10 digits; dots and spaces are ignored (8542.31)."
    )
    claim = ClaimsField(
        required=False,
        default=list,
        help_text="A preference the shipment claims, as the importer's tariff prints its "
        "program indicator (US: `S` for USMCA, `KR`, `AU`, `A+`, ...), case-insensitive; "
        "repeat it for several (`claim=S&claim=A`), at most 20. None by default.",
    )
    scenario = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in engine.Scenario],
        default=engine.Scenario.IN_FORCE.value,
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
    expression = serializers.CharField(
        help_text="The duty as published, e.g. `4.4¢/kg` or `6.8%`; empty when the "
        "source gave only the rate."
    )
    specific_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=6,
        allow_null=True,
        coerce_to_string=True,
        help_text="Money per unit of quantity (the specific part), in `specific_currency`'s "
        "main unit (4.4¢ is 0.044 USD); null when the duty has no specific part.",
    )
    specific_currency = serializers.CharField(
        allow_null=True, help_text="ISO 4217 currency of `specific_amount`; null without one."
    )
    specific_unit = serializers.CharField(
        allow_null=True,
        help_text="Unit of quantity `specific_amount` is charged on, as the tariff prints it "
        "(`kg`, `liter`, `No.`, ...); null without one.",
    )
    basis = serializers.ChoiceField(
        choices=MeasureBasis.choices,
        help_text="`value`: on the customs value; `content`: on the value of one content only "
        "(listed, not added to the percentage).",
    )
    claim = serializers.CharField(
        allow_null=True,
        help_text="The preference claimed that made this measure apply; null if it applies "
        "without a claim.",
    )


class NoticeSerializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(
        choices=[(code.value, code.value) for code in engine.WarningCode],
        help_text="`base_unknown`, `specific_duty`, `content_basis`: the percentage is not the "
        "whole duty; `product_not_in_tariff`: the code is not a line of the importer's tariff; "
        "`no_measures_for_importer`, `outside_data_period`: no data behind the answer.",
    )
    detail = serializers.CharField(help_text="What it means for this answer, in words.")


class AvailableClaimSerializer(serializers.Serializer[Any]):
    claim = serializers.CharField(help_text="The program indicator to claim, e.g. S or KR.")
    title = serializers.CharField(help_text="What the claim switches on or off.")
    total_rate = rate_field(
        "The total the answer would give with this claim added; null if the base would be unknown.",
        allow_null=True,
    )


class DutyFieldsSerializer(serializers.Serializer[Any]):
    base_rate = rate_field("Lowest applicable base rate; null when unknown.", allow_null=True)
    additional_rate = rate_field("Sum of what the additional and all-in measures add.")
    total_rate = rate_field(
        "base_rate + additional_rate; null when the base is unknown.", allow_null=True
    )
    components = ComponentSerializer(many=True, help_text="The applied measures.")
    complete = serializers.BooleanField(
        help_text="False when the percentage is not the whole duty: a specific part, a "
        "content-basis measure or an unknown base (see `warnings`)."
    )
    warnings = NoticeSerializer(
        many=True,
        help_text="Why the answer may not be the whole story; empty when there is nothing to say.",
    )


class AnswerHeaderSerializer(serializers.Serializer[Any]):
    """The fields both rate answers repeat from the question."""

    importer = serializers.CharField(help_text="Importer code.")
    origin = serializers.CharField(help_text="Origin code.")
    hs = serializers.CharField(help_text="HS code asked for, digits only.")
    scenario = serializers.CharField(help_text="Scenario used.")
    claims = serializers.ListField(
        child=serializers.CharField(), help_text="The claims made, upper case, sorted."
    )
    product = ProductRefSerializer(
        allow_null=True,
        help_text="Most specific known line covering `hs`: the importer's own tariff line "
        "when it has one, else the HS nomenclature's; null when neither knows it.",
    )


class EffectiveRateSerializer(AnswerHeaderSerializer, DutyFieldsSerializer):
    """The duty on one date, with its breakdown."""

    date = serializers.DateField(help_text="Date of entry.")
    available_claims = AvailableClaimSerializer(
        many=True,
        help_text="Each claim not made that would change this answer, with the total it "
        "would give.",
    )


class PeriodSerializer(DutyFieldsSerializer):
    """A stretch of the timeline with a constant answer."""

    valid_from = serializers.DateField(help_text="First day of the period.")
    valid_to = serializers.DateField(help_text="First day after the period.")


class TimelineSerializer(AnswerHeaderSerializer):
    """How the duty changed between `from` and `to`."""

    start = serializers.DateField(help_text="First day of the timeline (`from`).")
    end = serializers.DateField(help_text="First day after the timeline (`to`).")
    periods = PeriodSerializer(many=True, help_text="Consecutive periods, in date order.")
    warnings = NoticeSerializer(
        many=True,
        help_text="What the timeline says about its question (code not in the tariff, no "
        "data); each period carries its own duty warnings.",
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Output keys `from` and `to` mirror the query parameters; both are Python keywords.
        fields = super().get_fields()
        fields["from"] = fields.pop("start")
        fields["to"] = fields.pop("end")
        return _reorder(fields, ["importer", "origin", "hs", "from", "to"])


def _reorder(fields: dict[str, Any], first: list[str]) -> dict[str, Any]:
    return {**{name: fields[name] for name in first}, **fields}


# Views.

Answer = TypeVar("Answer", engine.EffectiveRate, engine.Timeline)
CSV_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR, description="The same answer as CSV, one row per applied component."
)


class RateEngineView(APIView):
    """Shared plumbing: validate the query string, call the engine, answer JSON or CSV."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    query_serializer_class: ClassVar[type[serializers.Serializer[Any]]]
    _query_validators: ClassVar[dict[type[Any], serializers.Serializer[Any]]] = {}

    @classmethod
    def query_validator(cls) -> serializers.Serializer[Any]:
        """One query serializer per view, built once and reused.

        A new DRF serializer deep-copies its declared fields, which profiled at a seventh of
        a lookup's time. `run_validation` keeps no state on the serializer or its fields
        (it returns the validated data or raises), so one instance serves every request.
        """
        validator = cls._query_validators.get(cls)
        if validator is None:
            validator = cls._query_validators[cls] = cls.query_serializer_class()
        return validator

    def ask(self, request: Request, answer: Callable[..., Answer], **dates: str) -> Answer:
        """Validate the query string and ask the engine; `dates` maps the engine's date
        arguments to parameter names. An unknown economy is a 400 naming its parameter."""
        params = validate_query(self.query_validator(), request.query_params)
        try:
            return answer(
                importer=params["importer"],
                origin=params["origin"],
                hs=params["hs"],
                scenario=engine.Scenario(params["scenario"]),
                claims=params["claim"],
                **{argument: params[name] for argument, name in dates.items()},
            )
        except engine.UnknownEconomy as error:
            raise serializers.ValidationError({error.field: [str(error)]}) from error


def _header(result: engine.EffectiveRate | engine.Timeline, **dates: Any) -> dict[str, Any]:
    """The fields that repeat the question, in the order the answers list them."""
    return {
        "importer": result.importer,
        "origin": result.origin,
        "hs": result.hs,
        **dates,
        "scenario": result.scenario.value,
        "claims": list(result.claims),
    }


def _shallow(result: Any) -> dict[str, Any]:
    """A result dataclass as a dict. Its fields are plain values, so the recursive deep copy
    that dataclasses.asdict makes (a tenth of a lookup, profiled) buys nothing."""
    return {field.name: getattr(result, field.name) for field in fields(result)}


def _rate(value: Decimal | None) -> str | None:
    # Engine rates are already quantized to cents, so str() gives the contract's "145.00".
    return None if value is None else str(value)


def _duty_fields(duty: engine.Duty) -> dict[str, Any]:
    """The answer as the JSON the schema documents (EffectiveRateSerializer).

    Written out directly: DRF serializers deep-copy their nested fields on every request,
    which profiled at about 0.8 ms of a 2.9 ms lookup. tests/engine/test_api.py validates
    these bodies against the committed schema.
    """
    return {
        "base_rate": _rate(duty.base_rate),
        "additional_rate": _rate(duty.additional_rate),
        "total_rate": _rate(duty.total_rate),
        "components": [
            {
                **_shallow(c),
                "rate": _rate(c.rate),
                "applied_rate": _rate(c.applied_rate),
                "specific_amount": _amount(c.specific_amount),
            }
            for c in duty.components
        ],
        "complete": duty.complete,
        "warnings": _notices(duty.warnings),
    }


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.6f}"


def _notices(notices: tuple[engine.Notice, ...]) -> list[dict[str, str]]:
    return [{"code": notice.code.value, "detail": notice.detail} for notice in notices]


def _csv_rows(header: dict[str, Any], duty: engine.Duty) -> list[dict[str, Any]]:
    """One row per component, the answer's own fields repeated; one row if none applied."""
    totals = {k: v for k, v in _duty_fields(duty).items() if k != "components"}
    totals["warnings"] = ";".join(notice["code"] for notice in totals["warnings"])
    components = [_shallow(c) for c in duty.components] or [{}]
    empty = dict.fromkeys(engine.Component.__dataclass_fields__, "")
    return [
        {**header, **totals, **{f"component_{k}": v for k, v in {**empty, **c}.items()}}
        for c in components
    ]


class EffectiveRateView(RateEngineView):
    """The duty on one date, and why.

    Stacks every measure in force for product `hs` from `origin` entering `importer` on
    `date`: within a program only the most specific measure applies (country over bloc over
    all origins, then the longest HS prefix); the lowest base rate is the base; additional
    measures add their rate, all-in measures top the total up to theirs. Add `format=csv` or
    send `Accept: text/csv` for CSV.
    """

    query_serializer_class = EffectiveQuerySerializer

    @extend_schema(
        operation_id="rates_effective",
        parameters=[EffectiveQuerySerializer],
        responses={200: EffectiveRateSerializer, (200, "text/csv"): CSV_RESPONSE},
        tags=["rates"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        result = self.ask(request, engine.effective_rate, on="date")
        header = _header(result, date=result.date)
        if request.accepted_renderer.format == "csv":
            product = {"product_code": result.product.code if result.product else ""}
            header["claims"] = ";".join(result.claims)
            duty = replace(result.duty, warnings=result.warnings + result.duty.warnings)
            return Response(_csv_rows({**header, **product}, duty))
        body = {
            **header,
            "product": _shallow(result.product) if result.product else None,
            **_duty_fields(result.duty),
            "warnings": _notices(result.warnings + result.duty.warnings),
            "available_claims": [
                {"claim": offer.claim, "title": offer.title, "total_rate": _rate(offer.total_rate)}
                for offer in result.available_claims
            ],
        }
        return Response(body)


class RateTimelineView(RateEngineView):
    """How the duty changed between `from` and `to`.

    Consecutive periods over which the answer of rates/effective/ is constant, merged when
    their components are equal; for every date inside a period, rates/effective/ gives the
    same answer. Add `format=csv` or send `Accept: text/csv` for CSV (one row per period
    and component).
    """

    query_serializer_class = TimelineQuerySerializer

    @extend_schema(
        operation_id="rates_timeline",
        parameters=[TimelineQuerySerializer],
        responses={200: TimelineSerializer, (200, "text/csv"): CSV_RESPONSE},
        tags=["rates"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        result = self.ask(request, engine.timeline, start="start", end="end")
        header = _header(result, **{"from": result.start, "to": result.end})
        if request.accepted_renderer.format == "csv":
            header["claims"] = ";".join(result.claims)
            rows: list[dict[str, Any]] = []
            for period in result.periods:
                span = {"valid_from": period.valid_from, "valid_to": period.valid_to}
                duty = replace(period.duty, warnings=result.warnings + period.duty.warnings)
                rows.extend(_csv_rows({**header, **span}, duty))
            return Response(rows)
        body = {
            **header,
            "product": _shallow(result.product) if result.product else None,
            "periods": [
                {"valid_from": p.valid_from, "valid_to": p.valid_to, **_duty_fields(p.duty)}
                for p in result.periods
            ],
            "warnings": _notices(result.warnings),
        }
        return Response(body)

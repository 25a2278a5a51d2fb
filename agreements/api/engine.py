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
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements import engine
from agreements.api.inputs import EconomyCodeField, HSCodeField
from agreements.engine import units
from agreements.engine.results import Shipment
from agreements.engine.shipment import IMPORTER_CURRENCIES, ShipmentError
from agreements.models.choices import MeasureBasis
from agreements.models.measures import CLAIM_INPUT_REGEX
from tradeapi.api.caching import CachedReads
from tradeapi.api.dates import DateField
from tradeapi.api.parsers import CSVParser, CSVTable, JSONParser
from tradeapi.api.permissions import ReadingSessionAuthentication
from tradeapi.api.renderers import CSVRenderer
from tradeapi.api.serializers import validate_query
from tradeapi.tokens.authentication import TokenAuthentication

# Query parameters and answers.

MAX_TIMELINE_DAYS = 366 * 50
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


def money_output(help_text: str) -> serializers.DecimalField:
    """An amount of money in an answer: a decimal string with two places, or null."""
    return serializers.DecimalField(
        max_digits=17,
        decimal_places=2,
        coerce_to_string=True,
        allow_null=True,
        help_text=help_text,
    )


class ClaimsField(serializers.ListField):
    """Repeated `claim=` values, upper-cased. A bad one is an error of `claim` itself (not of
    `claim.0`): a query string has no positions a client could point at."""

    def __init__(self, **kwargs: Any) -> None:
        # The child only tells the schema what a claim is; items are checked below.
        kwargs.setdefault("child", serializers.RegexField(CLAIM_INPUT_REGEX, max_length=6))
        super().__init__(**kwargs)

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


# Bounds that refuse typing accidents, far above any real customs entry: a value of a
# trillion or a quantity of a trillion units is a mistake, not a shipment.
MAX_MONEY = Decimal("1000000000000")
MAX_QUANTITY = Decimal("1000000000000")
CURRENCIES = ", ".join(f"{importer}: {code}" for importer, code in IMPORTER_CURRENCIES.items())


def money_field(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MAX_MONEY,
        required=False,
        coerce_to_string=True,
        help_text=help_text,
    )


class UnitField(serializers.CharField):
    """A unit of quantity as the importer's tariff prints it, in its canonical spelling."""

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        if not units.is_known(text):
            raise serializers.ValidationError(
                f"Unknown unit {text!r}; units that convert: {units.supported()}."
            )
        return units.canonical(text)


class ShipmentFieldsSerializer(serializers.Serializer[Any]):
    """What a customs broker knows about the goods: every field optional."""

    value = money_field(
        "Customs value of the goods in the importer's currency, up to two decimal places "
        f"({CURRENCIES}). With it the answer gives duty amounts."
    )
    quantity = serializers.DecimalField(
        max_digits=19,
        decimal_places=6,
        min_value=Decimal(0),
        max_value=MAX_QUANTITY,
        required=False,
        coerce_to_string=True,
        help_text="Quantity a specific duty is charged on, in `unit`; needs `unit`.",
    )
    unit = UnitField(
        max_length=20,
        required=False,
        help_text="Unit of `quantity`, as the importer's tariff prints it: "
        f"{units.supported()} (and spellings such as `liters`, `pcs`, `prs.`). Converts to "
        "the duty's unit within mass, volume, count, pairs, area and length; a unit that "
        "cannot convert to an applied duty's is a 400 naming `unit`. A duty per proof liter "
        "needs the quantity in `pf.liter` (converting liters needs the alcoholic strength).",
    )
    content_value = money_field(
        "Value of the content a `content`-basis measure taxes (the steel of a steel "
        "derivative, the copper of a copper article), in the importer's currency; at most "
        "`value`. A measure that gives way on that content (`charged_on: value_less_content`) "
        "is charged on `value` minus it."
    )
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        required=False,
        help_text=f"Currency of the values, ISO 4217; must be the importer's ({CURRENCIES}): "
        "no exchange rates are applied, another currency is a 400.",
    )

    def validate_currency(self, value: str) -> str:
        return value.upper()


class EffectiveQuerySerializer(ShipmentQuerySerializer, ShipmentFieldsSerializer):
    date = DateField(default=_today, help_text="Date of entry, YYYY-MM-DD. Defaults to today.")


class TimelineQuerySerializer(ShipmentQuerySerializer):
    # `from` is a Python keyword, so the fields are declared under other names and renamed.
    start = DateField(help_text="First day of the timeline, YYYY-MM-DD.")
    end = DateField(
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
    charged_on = serializers.ChoiceField(
        choices=[(c.value, c.value) for c in engine.ChargedOn],
        help_text="What its ad valorem part is charged on: `value` (the customs value); "
        "`content` (the value of one content, `basis: content`); `value_less_content` (the "
        "value less `content_value`: the measure gives way on the content to a content-basis "
        "measure that applies, as the US reciprocal duty does on a Section 232 steel, "
        "aluminium or copper derivative's metal content). `content` and `value_less_content` "
        "are listed, not added to the percentage.",
    )
    duty_amount = money_output(
        "For a shipment: what this measure charges, in the importer's currency, rounded "
        "half-up to cents (an all-in measure: what it adds to reach its rate). Null without "
        "a shipment, or when the shipment lacks what it is charged on (see `warnings`)."
    )


class NoticeSerializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(
        choices=[(code.value, code.value) for code in engine.WarningCode],
        help_text="`base_unknown`, `specific_duty`, `content_basis`, `value_less_content` (a "
        "duty charged on the value less the content value): the percentage is not the "
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
    duty_amount = money_output(
        "For a shipment: the duty amount with this claim added; null without a shipment or "
        "when it cannot be priced."
    )
    saving = money_output(
        "For a shipment: how much less duty the claim would cost (the answer's "
        "`duty_amount` minus this one's); null when either amount is unknown."
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
        "content-basis measure, a measure charged on the value less the content value or an "
        "unknown base (see `warnings`)."
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


class ShipmentAnswerSerializer(serializers.Serializer[Any]):
    """The shipment as the answer priced it, and the amounts."""

    currency = serializers.CharField(
        allow_null=True,
        help_text="The importer's currency, which values and amounts are in (ISO 4217); "
        "null when none is recorded for the importer.",
    )
    value = money_output("Customs value as given; null if not given.")
    quantity = serializers.DecimalField(
        max_digits=19,
        decimal_places=6,
        allow_null=True,
        coerce_to_string=True,
        help_text="Quantity as given; null if not given.",
    )
    unit = serializers.CharField(
        allow_null=True, help_text="Unit of `quantity`, canonical spelling; null if not given."
    )
    content_value = money_output("Content value as given; null if not given.")
    duty_amount = money_output(
        "For a shipment (a value or a quantity given): the duty, the sum of the components' "
        "rounded amounts; null without a shipment or when a part cannot be priced (see "
        "`warnings`; `complete` is then false)."
    )
    # Not a rate_field: a specific duty on a tiny value is a vast percentage (15 digits of
    # duty over a value of 0.01 is 10^19 %), and the answer must fit what it declares.
    ad_valorem_equivalent = serializers.DecimalField(
        max_digits=21,
        decimal_places=2,
        coerce_to_string=True,
        allow_null=True,
        help_text="duty_amount / value x 100, rounded half-up to two places: the whole duty, "
        "specific parts included, as a percentage; null without both.",
    )


class EffectiveRateSerializer(
    AnswerHeaderSerializer, DutyFieldsSerializer, ShipmentAnswerSerializer
):
    """The duty on one date, with its breakdown; for a shipment, its amounts."""

    date = serializers.DateField(help_text="Date of entry.")
    available_claims = AvailableClaimSerializer(
        many=True,
        help_text="Each claim not made that would change this answer, with the total it "
        "would give; for a shipment, each claim that would lower its duty, with the amount "
        "it would give and the saving.",
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


class RateEngineView(CachedReads, APIView):
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

    def ask(
        self,
        request: Request,
        answer: Callable[..., Answer],
        extra: Callable[[dict[str, Any]], dict[str, Any]] = lambda params: {},
        **dates: str,
    ) -> Answer:
        """Validate the query string and ask the engine; `dates` maps the engine's date
        arguments to parameter names, `extra` gives more arguments from the parameters.
        An unknown economy, or a shipment that cannot be priced as stated, is a 400 naming
        its parameter."""
        params = validate_query(self.query_validator(), request.query_params)
        try:
            return answer(
                importer=params["importer"],
                origin=params["origin"],
                hs=params["hs"],
                scenario=engine.Scenario(params["scenario"]),
                claims=params["claim"],
                **{argument: params[name] for argument, name in dates.items()},
                **extra(params),
            )
        except (engine.UnknownEconomy, ShipmentError) as error:
            raise serializers.ValidationError({error.field: [str(error)]}) from error


def shipment_of(params: dict[str, Any]) -> Shipment | None:
    """The shipment a validated query or line describes; None when it describes none."""
    found = Shipment(
        value=params.get("value"),
        quantity=params.get("quantity"),
        unit=params.get("unit"),
        content_value=params.get("content_value"),
        currency=params.get("currency"),
    )
    return found if found.priced or found.currency or found.unit else None


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


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _shallow(result: Any) -> dict[str, Any]:
    """A result dataclass as a dict. Its fields are plain values, so the recursive deep copy
    that dataclasses.asdict makes (a tenth of a lookup, profiled) buys nothing; and the
    field names are listed once per class (`fields()` builds its list on every call)."""
    names = _FIELD_NAMES.get(type(result))
    if names is None:
        names = _FIELD_NAMES[type(result)] = tuple(field.name for field in fields(result))
    return {name: getattr(result, name) for name in names}


def _day(value: dt.date | None) -> str | None:
    # As DRF's JSON encoder writes a date. Written here, the encoder need not call back into
    # Python for each of them: a sixth of the time to encode a 1,000-line entry's answer.
    return None if value is None else value.isoformat()


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
                "valid_from": _day(c.valid_from),
                "valid_to": _day(c.valid_to),
                "specific_amount": _amount(c.specific_amount),
                "duty_amount": _money(c.duty_amount),
            }
            for c in duty.components
        ],
        "complete": duty.complete,
        "warnings": _notices(duty.warnings),
    }


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.6f}"


def _money(value: Decimal | None) -> str | None:
    # Amounts are rounded to cents by the engine, so this only fixes the notation.
    return None if value is None else f"{value:.2f}"


def _quantity(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.6f}"


def _shipment_fields(result: engine.EffectiveRate) -> dict[str, Any]:
    shipment = result.shipment or Shipment()
    return {
        "currency": result.currency,
        "value": _money(shipment.value),
        "quantity": _quantity(shipment.quantity),
        "unit": shipment.unit,
        "content_value": _money(shipment.content_value),
        "duty_amount": _money(result.duty.duty_amount),
        "ad_valorem_equivalent": _rate(result.duty.ad_valorem_equivalent),
    }


def effective_body(result: engine.EffectiveRate) -> dict[str, Any]:
    """One answer of rates/effective/ as JSON (EffectiveRateSerializer): the single lookup's
    body and each answered line of an entry."""
    return {
        **_header(result, date=_day(result.date)),
        "product": _shallow(result.product) if result.product else None,
        **_duty_fields(result.duty),
        **_shipment_fields(result),
        "warnings": _notices(result.warnings + result.duty.warnings),
        "available_claims": [
            {
                "claim": offer.claim,
                "title": offer.title,
                "total_rate": _rate(offer.total_rate),
                "duty_amount": _money(offer.duty_amount),
                "saving": _money(offer.saving),
            }
            for offer in result.available_claims
        ],
    }


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
        operation_id="getEffectiveRate",
        summary="Get the duty on a date, and why",
        parameters=[EffectiveQuerySerializer],
        responses={200: EffectiveRateSerializer, (200, "text/csv"): CSV_RESPONSE},
        tags=["rate-engine"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        result = self.ask(
            request,
            engine.effective_rate,
            lambda params: {"shipment": shipment_of(params)},
            on="date",
        )
        if request.accepted_renderer.format == "csv":
            header = _header(result, date=result.date)
            product = {"product_code": result.product.code if result.product else ""}
            header["claims"] = ";".join(result.claims)
            duty = replace(result.duty, warnings=result.warnings + result.duty.warnings)
            return Response(_csv_rows({**header, **product, **_shipment_fields(result)}, duty))
        return Response(effective_body(result))


class RateTimelineView(RateEngineView):
    """How the duty changed between `from` and `to`.

    Consecutive periods over which the answer of rates/effective/ is constant, merged when
    their components are equal; for every date inside a period, rates/effective/ gives the
    same answer. Add `format=csv` or send `Accept: text/csv` for CSV (one row per period
    and component).
    """

    query_serializer_class = TimelineQuerySerializer

    @extend_schema(
        operation_id="getRateTimeline",
        summary="Get how the duty changed over a period",
        parameters=[TimelineQuerySerializer],
        responses={200: TimelineSerializer, (200, "text/csv"): CSV_RESPONSE},
        tags=["rate-engine"],
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


# A whole entry: rates/effective/batch/.

MAX_LINES = 1000
COMMON_CODES = {"required", "invalid", "null", "null_characters_not_allowed"}
LINE_COLUMNS = (
    "ref",
    "importer",
    "origin",
    "hs",
    "value",
    "quantity",
    "unit",
    "content_value",
    "currency",
    "claims",
)


class LineClaimsField(serializers.ListField):
    """Claims as a JSON list, or in a CSV cell separated by spaces, commas or semicolons."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = [part for part in re.split(r"[\s,;]+", data) if part]
        return super().to_internal_value(data)


def claims_field(help_text: str) -> LineClaimsField:
    return LineClaimsField(
        child=serializers.RegexField(
            CLAIM_INPUT_REGEX,
            max_length=6,
            error_messages={"invalid": "A claim is a program indicator, e.g. S, KR or A+."},
        ),
        required=False,
        max_length=20,
        help_text=help_text,
    )


class EntryLineSerializer(ShipmentFieldsSerializer):
    """One line of an entry: a lookup and its shipment."""

    ref = serializers.CharField(
        max_length=64,
        help_text="The line's reference, unique in the entry; answers and errors name it.",
    )
    importer = EconomyCodeField(help_text="Economy levying the duty, e.g. US.")
    origin = EconomyCodeField(help_text="Country of origin of the goods, e.g. CN.")
    hs = HSCodeField(help_text="HS code of the goods, 2 to 10 digits; dots and spaces ignored.")
    claims = claims_field(
        "Preferences this line claims, replacing the entry's `claims` (in CSV: one cell, "
        "codes separated by spaces or semicolons); the entry's when absent."
    )


# A line's fields nearly always come in one plain shape each. A value in that shape is one
# EntryLineSerializer accepts and reads as below, so such a line is read without running
# DRF's field machinery (a third of a 1,000-line entry's time, profiled); a line with
# any other value (spaces, a number with an exponent, a JSON number that is not an integer,
# null, a wrong type, anything refused) is read by the serializer itself, so an error keeps
# its message and code. tests/engine/test_shipment_api.py checks the two agree.
_PLAIN_REF = re.compile("[^\x00\ud800-\udfff]{1,64}")
_PLAIN_ECONOMY = re.compile("[A-Za-z]{2}")
# Checked once the dots of `8542.31.00` are dropped, as HSCodeField drops them.
_PLAIN_HS = re.compile("[0-9]{2,10}")
_PLAIN_CURRENCY = re.compile("[A-Za-z]{3}")
_PLAIN_CLAIM = re.compile(CLAIM_INPUT_REGEX)
_CLAIM_SEPARATORS = re.compile(r"[\s,;]+")
# (field, plain shape, places, bound): at most 13 digits before the point, so the value is
# within the field's digits, and no more places than the field keeps, so quantizing is exact.
_PLAIN_MONEY = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?")
_PLAIN_AMOUNTS = (
    ("value", _PLAIN_MONEY, Decimal("0.01"), MAX_MONEY),
    ("content_value", _PLAIN_MONEY, Decimal("0.01"), MAX_MONEY),
    ("quantity", re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,6})?"), Decimal("0.000001"), MAX_QUANTITY),
)


def plain_line(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The line as EntryLineSerializer.run_validation returns it, when every field it gives
    is in its plain shape; None otherwise (the serializer must read it)."""
    ref, importer, origin, hs = (raw.get(name) for name in ("ref", "importer", "origin", "hs"))
    if not (
        isinstance(ref, str)
        and isinstance(importer, str)
        and isinstance(origin, str)
        and isinstance(hs, str)
        and _PLAIN_REF.fullmatch(ref := ref.strip())
        and _PLAIN_ECONOMY.fullmatch(importer)
        and _PLAIN_ECONOMY.fullmatch(origin)
        and _PLAIN_HS.fullmatch(hs := hs.replace(".", ""))
    ):
        return None
    params: dict[str, Any] = {
        "ref": ref,
        "importer": importer.upper(),
        "origin": origin.upper(),
        "hs": hs,
    }
    for name, shape, places, bound in _PLAIN_AMOUNTS:
        if name in raw:
            text = raw[name]
            if isinstance(text, int) and not isinstance(text, bool):
                text = str(text)
            if not (isinstance(text, str) and shape.fullmatch(text)):
                return None
            amount = Decimal(text)
            if amount > bound:
                return None
            params[name] = amount.quantize(places)
    if "unit" in raw:
        unit = raw["unit"]
        if not (isinstance(unit, str) and units.is_known(unit)):
            return None
        params["unit"] = units.canonical(unit)
    if "currency" in raw:
        currency = raw["currency"]
        if not (isinstance(currency, str) and _PLAIN_CURRENCY.fullmatch(currency)):
            return None
        params["currency"] = currency.upper()
    if "claims" in raw:
        claims = raw["claims"]
        if isinstance(claims, str):
            claims = [part for part in _CLAIM_SEPARATORS.split(claims) if part]
        if not (
            type(claims) is list
            and len(claims) <= MAX_CLAIMS
            and all(isinstance(claim, str) and _PLAIN_CLAIM.fullmatch(claim) for claim in claims)
        ):
            return None
        params["claims"] = claims
    return params


class EntryLineObjectField(serializers.DictField):
    """A line as the object it came as; its fields are read line by line (answer_entry),
    so that a bad line is refused alone."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if type(data) is dict:
            # What DictField returns for a dict, without running its pass-through child field
            # on every value: a tenth of reading a 1,000-line entry's lines, profiled.
            return {str(key): value for key, value in data.items()}
        return super().to_internal_value(data)


class EntrySerializer(serializers.Serializer[Any]):
    """A whole entry (the JSON body of rates/effective/batch/)."""

    date = DateField(
        default=_today, help_text="Date of entry, YYYY-MM-DD, for every line. Defaults to today."
    )
    claims = claims_field("Preferences every line claims unless it names its own. None by default.")
    scenario = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in engine.Scenario],
        default=engine.Scenario.IN_FORCE.value,
        help_text="As for rates/effective/.",
    )
    # Lines are validated one by one in the view, so that a bad line is refused alone.
    lines = serializers.ListField(
        child=EntryLineObjectField(),
        min_length=1,
        max_length=MAX_LINES,
        help_text=f"The lines, 1 to {MAX_LINES:,}, each an object of the fields of "
        "`EntryLine` (ref, importer, origin, hs, value, quantity, unit, content_value, "
        "currency, claims).",
    )


class EntryQuerySerializer(serializers.Serializer[Any]):
    """Query parameters of rates/effective/batch/: the entry's settings for a CSV body,
    which has no room for them (a JSON body carries them itself and must not repeat them)."""

    date = DateField(
        required=False, help_text="For a CSV body: the date of entry; defaults to today."
    )
    claim = ClaimsField(
        required=False,
        help_text="For a CSV body: a preference every line claims unless its `claims` cell "
        "names its own; repeatable, at most 20.",
    )
    scenario = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in engine.Scenario],
        required=False,
        help_text="For a CSV body: as for rates/effective/.",
    )


class LineErrorItemSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Machine-readable error code.")
    detail = serializers.CharField(help_text="Human-readable message.")
    attr = serializers.CharField(
        allow_null=True, help_text="The line's offending field; null when not about one."
    )


class LineErrorSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(help_text="Kind of error, e.g. `validation_error`.")
    # `errors` is also a Serializer property; the stubs see the field as overriding it.
    errors = LineErrorItemSerializer(  # type: ignore[assignment]
        many=True, help_text="The errors of this line."
    )


class EntryLineAnswerSerializer(serializers.Serializer[Any]):
    ref = serializers.CharField(help_text="The line's reference.")
    status = serializers.IntegerField(
        help_text="200 when the line is answered, 400 when it is refused."
    )
    answer = EffectiveRateSerializer(
        allow_null=True,
        help_text="The line's answer, as rates/effective/ gives it; null if refused.",
    )
    error = LineErrorSerializer(
        allow_null=True,
        help_text="Why the line is refused, in the standard error shape (`type`, `errors` "
        "with `code`, `detail` and `attr` naming the line's field); null if answered.",
    )


class CurrencyTotalSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField(allow_null=True, help_text="ISO 4217; null if unrecorded.")
    value = money_output("Sum of the answered lines' values in this currency.")
    duty_amount = money_output("Sum of the answered lines' duty amounts in this currency.")


class EntryTotalsSerializer(CurrencyTotalSerializer):
    lines = serializers.IntegerField(help_text="Lines in the entry.")
    answered = serializers.IntegerField(help_text="Lines answered.")
    refused = serializers.IntegerField(help_text="Lines refused (each says why).")
    incomplete = serializers.IntegerField(
        help_text="Answered lines whose duty amount is not whole (see their warnings)."
    )
    complete = serializers.BooleanField(
        help_text="True when every line is answered with a whole duty amount: only then are "
        "the totals the entry's duty."
    )
    by_currency = CurrencyTotalSerializer(
        many=True,
        help_text="Totals per currency; `currency`, `value` and `duty_amount` above are null "
        "when the lines are in more than one.",
    )


class EntryAnswerSerializer(serializers.Serializer[Any]):
    """Every line's answer, in order, and the entry's totals."""

    date = serializers.DateField(help_text="Date of entry.")
    scenario = serializers.CharField(help_text="Scenario used.")
    lines = EntryLineAnswerSerializer(many=True, help_text="One per line, in the entry's order.")
    totals = EntryTotalsSerializer(
        help_text="Sums over the answered lines whose duty amount is known: `value` counts "
        "lines with a value, `duty_amount` lines with a whole amount."
    )


def _line_error(ref: str, errors: dict[str, Any]) -> dict[str, Any]:
    """A refused line in the standard error shape, fields named as the line names them."""
    flat = []
    for field, messages in errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            if isinstance(message, dict):  # A nested list's errors, by position.
                for position, inner in message.items():
                    for text in inner:
                        flat.append(_error_item(text, f"{field}.{position}"))
            else:
                flat.append(_error_item(message, field))
    return {"ref": ref, "status": 400, "answer": None, "error": _validation(flat)}


def _error_item(message: Any, attr: str) -> dict[str, Any]:
    code = getattr(message, "code", "invalid") or "invalid"
    return {"code": code, "detail": str(message), "attr": attr}


def _validation(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "validation_error", "errors": errors}


class EffectiveRateBatchView(APIView):
    """Duty for a whole entry of up to 1,000 lines at once.

    A JSON body `{"date", "claims", "scenario", "lines": [...]}`, or the lines as CSV
    (`Content-Type: text/csv`, a header row naming some of ref, importer, origin, hs, value,
    quantity, unit, content_value, currency, claims; then `date`, `claim` and `scenario` go
    in the query string). Every line is answered as rates/effective/ would answer it, or
    refused alone with its error naming its `ref` and field; the totals sum the answered
    lines. `format=csv` (or `Accept: text/csv`) answers one row per line. It only reads:
    anyone may call it.
    """

    parser_classes = [JSONParser, CSVParser]
    renderer_classes = [JSONRenderer, CSVRenderer]
    authentication_classes = [TokenAuthentication, ReadingSessionAuthentication]
    # It only reads, so anyone may call it, as anyone may read (API.md).
    permission_classes = [AllowAny]
    # What the entry itself can be refused for (the lines' own errors are in the answer).
    validation_errors: ClassVar[dict[str, set[str]]] = {
        **{
            name: {*COMMON_CODES, *field.default_error_messages}
            for name, field in {
                **EntryQuerySerializer().fields,
                **EntrySerializer().fields,
            }.items()
        },
        "claims.INDEX": {"invalid", "max_length", "blank", *COMMON_CODES},
        "lines.INDEX": {"not_a_dict", "null"},
        "lines.INDEX.ref": {"invalid"},
        "header": {"invalid"},
        "non_field_errors": {"invalid"},
    }
    _validators: ClassVar[dict[str, serializers.Serializer[Any]]] = {}

    @classmethod
    def validator(cls, name: str, serializer: type[serializers.Serializer[Any]]) -> Any:
        # Built once and reused, as RateEngineView.query_validator explains.
        if name not in cls._validators:
            cls._validators[name] = serializer()
        return cls._validators[name]

    @extend_schema(
        operation_id="priceEntry",
        summary="Price a whole entry: the duty on each line and the totals",
        parameters=[EntryQuerySerializer],
        request={"application/json": EntrySerializer, "text/csv": OpenApiTypes.STR},
        responses={
            200: EntryAnswerSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The same answer as CSV, one row per line (refused lines with "
                "their error).",
            ),
        },
        tags=["rate-engine"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = validate_query(self.validator("query", EntryQuerySerializer), request.query_params)
        if isinstance(request.data, CSVTable):
            entry = self._csv_entry(request.data, query)
        else:
            if set(query) & {"date", "claim", "scenario"}:
                raise serializers.ValidationError(
                    dict.fromkeys(
                        set(query) & {"date", "claim", "scenario"},
                        "Give it in the JSON body, not the query string.",
                    )
                )
            entry = self.validator("entry", EntrySerializer).run_validation(request.data)
        on, scenario = entry["date"], engine.Scenario(entry["scenario"])
        refs = check_refs(entry["lines"])
        lines = answer_entry(
            entry["lines"], refs=refs, on=on, claims=entry.get("claims", []), scenario=scenario
        )
        body = {
            "date": on,
            "scenario": scenario.value,
            "lines": lines,
            "totals": entry_totals(lines),
        }
        if request.accepted_renderer.format == "csv":
            return Response([csv_answer(line) for line in lines])
        for line in lines:
            if line["answer"] is not None:
                line["answer"] = effective_body(line["answer"])
        return Response(body)

    def _csv_entry(self, table: CSVTable, query: dict[str, Any]) -> dict[str, Any]:
        problem = header_problem(table.header)
        if problem:
            raise serializers.ValidationError({"header": problem})
        if not table.rows:
            raise serializers.ValidationError({"lines": "The CSV has no lines."})
        if len(table.rows) > MAX_LINES:
            raise serializers.ValidationError(
                {
                    "lines": f"An entry has at most {MAX_LINES:,} lines; this one has "
                    f"{len(table.rows):,}."
                }
            )
        rows = [csv_line(row) for row in table.rows]
        return {
            "date": query.get("date") or _today(),
            "claims": query.get("claim", []),
            "scenario": query.get("scenario", engine.Scenario.IN_FORCE.value),
            "lines": rows,
        }


def header_problem(header: list[str]) -> str | None:
    """What is wrong with a CSV entry's header row, or None."""
    unknown = [name for name in header if name not in LINE_COLUMNS]
    missing = [name for name in ("ref", "importer", "origin", "hs") if name not in header]
    problems = []
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if len(set(header)) != len(header):
        problems.append("a column is repeated")
    if not problems:
        return None
    return (
        f"The CSV header has {'; '.join(problems)}. Columns: {', '.join(LINE_COLUMNS)} "
        "(ref, importer, origin and hs required)."
    )


def csv_line(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row as a line: an empty cell is an absent field, as JSON would leave it out."""
    return {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}


def answer_entry(
    raw_lines: list[dict[str, Any]],
    *,
    refs: list[str],
    on: dt.date,
    claims: list[str],
    scenario: engine.Scenario,
) -> list[dict[str, Any]]:
    """Every line validated alone and answered by one batched engine call, in order: each
    `{"ref", "status", "answer", "error"}` with the engine's result (not yet JSON) or the
    line's error in the standard shape. The batch view and `price_entry` share it."""
    line_validator = EffectiveRateBatchView.validator("line", EntryLineSerializer)
    slots: list[dict[str, Any] | int] = []
    asked: list[engine.Line] = []
    for ref, raw in zip(refs, raw_lines, strict=True):
        params = plain_line(raw)
        if params is None:
            try:
                params = line_validator.run_validation(raw)
            except serializers.ValidationError as error:
                slots.append(_line_error(ref, error.detail))  # type: ignore[arg-type]
                continue
        slots.append(len(asked))
        asked.append(
            engine.Line(
                importer=params["importer"],
                origin=params["origin"],
                hs=params["hs"],
                claims=tuple(params.get("claims", claims)),
                shipment=shipment_of(params),
            )
        )
    results = engine.effective_rates(asked, on=on, scenario=scenario)
    lines = []
    for ref, slot in zip(refs, slots, strict=True):
        if isinstance(slot, dict):
            lines.append(slot)
            continue
        result = results[slot]
        if isinstance(result, engine.LineError):
            lines.append(_line_error(ref, {result.field: [result.message]}))
        else:
            lines.append({"ref": ref, "status": 200, "answer": result, "error": None})
    return lines


def check_refs(lines: list[dict[str, Any]]) -> list[str]:
    """Every line's ref; an entry whose lines cannot be told apart is refused whole."""
    refs: list[str] = []
    errors: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for index, line in enumerate(lines):
        ref = line.get("ref")
        if ref is None or (isinstance(ref, str) and not ref.strip()):
            errors[f"lines.{index}.ref"] = "Every line needs a `ref`."
            continue
        if not isinstance(ref, str | int) or isinstance(ref, bool):
            errors[f"lines.{index}.ref"] = "A `ref` is a string."
            continue
        text = str(ref).strip()
        if len(text) > 64:
            errors[f"lines.{index}.ref"] = "A `ref` has at most 64 characters."
        elif text in seen:
            errors[f"lines.{index}.ref"] = f"`ref` {text!r} is also line {seen[text]}'s."
        else:
            seen[text] = index
        refs.append(text)
    if errors:
        raise serializers.ValidationError(errors)
    return refs


def entry_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [line["answer"] for line in lines if line["answer"] is not None]
    by_currency: dict[str | None, list[Decimal]] = {}
    for result in answered:
        sums = by_currency.setdefault(result.currency, [Decimal(0), Decimal(0)])
        if result.shipment is not None and result.shipment.value is not None:
            sums[0] += result.shipment.value
        if result.duty.duty_amount is not None:
            sums[1] += result.duty.duty_amount
    incomplete = sum(1 for result in answered if not _whole(result))
    currencies = [
        {"currency": currency, "value": _money(value), "duty_amount": _money(duty)}
        for currency, (value, duty) in sorted(by_currency.items(), key=lambda i: i[0] or "")
    ]
    single = currencies[0] if len(currencies) == 1 else None
    return {
        "currency": single["currency"] if single else None,
        "value": single["value"] if single else None,
        "duty_amount": single["duty_amount"] if single else None,
        "lines": len(lines),
        "answered": len(answered),
        "refused": len(lines) - len(answered),
        "incomplete": incomplete,
        "complete": incomplete == 0 and len(answered) == len(lines),
        "by_currency": currencies,
    }


def _whole(result: engine.EffectiveRate) -> bool:
    return result.duty.priced and result.duty.complete and result.duty.duty_amount is not None


def csv_answer(line: dict[str, Any]) -> dict[str, Any]:
    """One line of an entry's answer as a CSV row (CSV_LINE_COLUMNS)."""
    result: engine.EffectiveRate | None = line["answer"]
    row: dict[str, Any] = dict.fromkeys(CSV_LINE_COLUMNS, "")
    row.update(ref=line["ref"], status=line["status"])
    if result is None:
        errors = line["error"]["errors"]
        row["error_field"] = ";".join(str(e["attr"]) for e in errors)
        row["error"] = " ".join(e["detail"] for e in errors)
        return row
    row.update(
        importer=result.importer,
        origin=result.origin,
        hs=result.hs,
        product_code=result.product.code if result.product else "",
        claims=";".join(result.claims),
        **{k: "" if v is None else v for k, v in _shipment_fields(result).items()},
        base_rate=_rate(result.duty.base_rate) or "",
        additional_rate=_rate(result.duty.additional_rate),
        total_rate=_rate(result.duty.total_rate) or "",
        complete=_whole(result) if result.duty.priced else result.duty.complete,
        warnings=";".join(n.code.value for n in result.warnings + result.duty.warnings),
        components=";".join(
            f"{c.program}={_money(c.duty_amount) if c.duty_amount is not None else c.applied_rate}"
            for c in result.duty.components
        ),
    )
    return row


CSV_LINE_COLUMNS = (
    "ref",
    "status",
    "importer",
    "origin",
    "hs",
    "product_code",
    "claims",
    "currency",
    "value",
    "quantity",
    "unit",
    "content_value",
    "base_rate",
    "additional_rate",
    "total_rate",
    "duty_amount",
    "ad_valorem_equivalent",
    "complete",
    "warnings",
    "components",
    "error_field",
    "error",
)

"""The rate engine over HTTP: rates/effective/ and rates/timeline/ (JSON or CSV)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements import engine
from agreements.api.engine_serializers import (
    EffectiveQuerySerializer,
    EffectiveRateSerializer,
    TimelineQuerySerializer,
    TimelineSerializer,
)
from agreements.api.renderers import CSVRenderer
from agreements.api.schema import document_query_errors

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
        params = self.query_validator().run_validation(request.query_params)
        try:
            return answer(
                importer=params["importer"],
                origin=params["origin"],
                hs=params["hs"],
                scenario=engine.Scenario(params["scenario"]),
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
            {**_shallow(c), "rate": _rate(c.rate), "applied_rate": _rate(c.applied_rate)}
            for c in duty.components
        ],
    }


def _csv_rows(header: dict[str, Any], duty: engine.Duty) -> list[dict[str, Any]]:
    """One row per component, the answer's own fields repeated; one row if none applied."""
    totals = {k: v for k, v in _duty_fields(duty).items() if k != "components"}
    components = [_shallow(c) for c in duty.components] or [{}]
    empty = dict.fromkeys(engine.Component.__dataclass_fields__, "")
    return [
        {**header, **totals, **{f"component_{k}": v for k, v in {**empty, **c}.items()}}
        for c in components
    ]


@document_query_errors
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
            return Response(_csv_rows({**header, **product}, result.duty))
        body = {
            **header,
            "product": _shallow(result.product) if result.product else None,
            **_duty_fields(result.duty),
        }
        return Response(body)


@document_query_errors
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
            rows: list[dict[str, Any]] = []
            for period in result.periods:
                span = {"valid_from": period.valid_from, "valid_to": period.valid_to}
                rows.extend(_csv_rows({**header, **span}, period.duty))
            return Response(rows)
        body = {
            **header,
            "product": _shallow(result.product) if result.product else None,
            "periods": [
                {"valid_from": p.valid_from, "valid_to": p.valid_to, **_duty_fields(p.duty)}
                for p in result.periods
            ],
        }
        return Response(body)

"""The v1 resources: one viewset each, declared by its queryset, serializer and filters."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api import filters, inputs
from agreements.api import serializers as s
from agreements.models import (
    Agreement,
    Commitment,
    Economy,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
)
from tradeapi.api.caching import CachedReads
from tradeapi.api.conditional import ConditionalWrites
from tradeapi.api.errors import ConflictAsError
from tradeapi.api.filters import KnownParametersFilter
from tradeapi.api.pagination import LINK_DESCRIPTION, TOTAL_DESCRIPTION
from tradeapi.api.renderers import CSVRenderer


class EconomyViewSet(CachedReads, viewsets.ReadOnlyModelViewSet):
    """Economies: ISO 3166-1 countries and blocs (the EU) with dated memberships.

    Reference data, loaded by `seed_data`; read-only.
    """

    queryset = Economy.objects.prefetch_related("memberships", "bloc_memberships")
    serializer_class = s.EconomySerializer
    filterset_class = filters.EconomyFilterSet
    lookup_field = "code"
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def get_object(self) -> Economy:
        self.kwargs["code"] = self.kwargs["code"].upper()
        return super().get_object()


class ProductViewSet(CachedReads, viewsets.ReadOnlyModelViewSet):
    """HS nomenclature lines (chapters, headings, subheadings, national lines); read-only."""

    queryset = Product.objects.all()
    serializer_class = s.ProductSerializer
    filterset_class = filters.ProductFilterSet
    lookup_field = "code"
    search_fields = ["^code", "description"]
    ordering_fields = ["code"]
    ordering = ["code"]


class SourceViewSet(CachedReads, ConflictAsError, ConditionalWrites, viewsets.ModelViewSet):
    """Documents that facts were taken from."""

    queryset = Source.objects.all()
    serializer_class = s.SourceSerializer
    search_fields = ["title", "publisher", "url"]
    ordering_fields = ["id", "title", "publisher", "published_on"]
    ordering = ["id"]


@extend_schema_view(list=extend_schema(parameters=[inputs.AS_OF, inputs.PARTY]))
@extend_schema_view(retrieve=extend_schema(parameters=[inputs.AS_OF]))
class AgreementViewSet(CachedReads, ConflictAsError, ConditionalWrites, viewsets.ModelViewSet):
    """Deals, truces, frameworks and arrangements, with their extensions.

    `status` and `expires_on` are computed as known on `?as_of=` (default today): on
    2025-08-01 the US-China truce was due to expire on 2025-08-12, because the extension to
    2025-11-10 was only decided on 2025-08-11.
    """

    queryset = Agreement.objects.prefetch_related("parties", "sources", "extensions__sources")
    serializer_class = s.AgreementSerializer
    filterset_class = filters.AgreementFilterSet
    lookup_field = "slug"
    extra_query_parameters = ("as_of",)  # Read by get_serializer_context.
    search_fields = ["title", "slug", "summary"]
    ordering_fields = ["slug", "title", "announced_on", "effective_on"]
    ordering = ["announced_on", "slug"]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "as_of": inputs.as_of(self.request)}

    @extend_schema(
        responses=inline_serializer(
            "AgreementEvent",
            {
                "date": serializers.DateField(help_text="Day of the event."),
                "kind": serializers.ChoiceField(
                    choices=[
                        "announced",
                        "round",
                        "signed",
                        "entry_into_force",
                        "extension",
                        "expiry",
                        "termination",
                    ],
                    help_text="What happened.",
                ),
                "title": serializers.CharField(help_text="Description of the event."),
            },
            many=True,
        ),
    )
    @action(detail=True, pagination_class=None, filter_backends=[KnownParametersFilter])
    def timeline(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The agreement's dated events in order: announcement, rounds, signature, entry into
        force, each extension, the expiry as finally known, termination."""
        agreement: Agreement = self.get_object()
        events = agreement.timeline()
        return Response([{"date": e.date, "kind": e.kind, "title": e.title} for e in events])


class NegotiationRoundViewSet(
    CachedReads, ConflictAsError, ConditionalWrites, viewsets.ModelViewSet
):
    """Negotiation rounds: where, when, who led each side, what came out."""

    queryset = NegotiationRound.objects.select_related(
        "agreement", "venue_country"
    ).prefetch_related("parties", "sources", "delegates__economy")
    serializer_class = s.NegotiationRoundSerializer
    filterset_class = filters.NegotiationRoundFilterSet
    search_fields = ["title", "city", "outcome", "delegates__name"]
    ordering_fields = ["id", "start_date", "city"]
    ordering = ["start_date", "id"]


class CommitmentViewSet(CachedReads, ConflictAsError, ConditionalWrites, viewsets.ModelViewSet):
    """Investment, purchase and market-access pledges."""

    queryset = Commitment.objects.select_related(
        "agreement", "pledger", "beneficiary"
    ).prefetch_related("sources")
    serializer_class = s.CommitmentSerializer
    filterset_class = filters.CommitmentFilterSet
    search_fields = ["slug", "description"]
    ordering_fields = ["id", "announced_on", "amount"]
    ordering = ["id"]


class MeasureViewSet(CachedReads, ConflictAsError, ConditionalWrites, viewsets.ModelViewSet):
    """Tariff measures: one duty set by one legal instrument for a scope, with its rates."""

    queryset = Measure.objects.select_related("agreement", "importer", "origin").prefetch_related(
        "excluded_origins", "products", "excluded_products", "sources", "rates"
    )
    serializer_class = s.MeasureSerializer
    filterset_class = filters.MeasureFilterSet
    search_fields = ["title", "slug", "instrument", "program"]
    ordering_fields = ["id", "slug", "importer", "program"]
    ordering = ["id"]


CSV_LINKS = OpenApiParameter(
    "Link",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description=LINK_DESCRIPTION,
)
CSV_TOTAL = OpenApiParameter(
    "X-Total-Count",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[200],
    description=TOTAL_DESCRIPTION,
)


@extend_schema_view(
    list=extend_schema(
        parameters=[CSV_LINKS, CSV_TOTAL],
        responses={
            200: s.RateSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The page's periods as CSV, one row each, with a header row; "
                "the `Link` header points to the next and previous pages, and `all=true` "
                "answers every row instead.",
            ),
        },
    ),
    retrieve=extend_schema(
        responses={
            200: s.RateSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The period as CSV: a header row and one row, with the list's columns.",
            ),
        }
    ),
)
class RateViewSet(CachedReads, ConflictAsError, ConditionalWrites, viewsets.ModelViewSet):
    """Dated rate periods of measures. Two in-force periods of one measure never overlap.

    Add `format=csv` or send `Accept: text/csv` to a read for CSV: a list answers its page
    (see the `Link` header, or ask `all=true`), a period answers one row. Writes answer JSON.
    """

    queryset = Rate.objects.select_related("measure")  # The scope fields read its columns.
    serializer_class = s.RateSerializer
    filterset_class = filters.RateFilterSet
    renderer_classes = [JSONRenderer, CSVRenderer]
    search_fields = ["measure__title", "note"]
    ordering_fields = ["id", "valid_from", "rate"]
    ordering = ["id"]

    def get_renderers(self) -> list[BaseRenderer]:
        # A write answers the record it wrote or its errors: JSON, what the client sent.
        if self.request is not None and self.request.method not in SAFE_METHODS:
            return [JSONRenderer()]
        return super().get_renderers()

    def get_renderer_context(self) -> dict[str, Any]:
        context = super().get_renderer_context()
        accepted = getattr(self.request, "accepted_renderer", None)
        if accepted is not None and accepted.format == "csv":
            # The CSV columns of an empty page: the fields a row would have. Built only for
            # CSV: a serializer deep-copies its fields, wasted on every JSON answer.
            context["csv_header"] = list(s.RateSerializer().fields)
        return context

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        if request.accepted_renderer.format == "csv":
            response.data = [response.data]
        return response

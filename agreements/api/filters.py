"""Query filters of the v1 lists (API.md, the `filters` column). Invalid values answer 400."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.utils import timezone

from agreements.api.inputs import (
    ClaimFormField,
    DateFormField,
    EconomyCodeFormField,
    EconomyCodesFormField,
    HSCodeFormField,
    IdFormField,
    ProductFormField,
    SlugFormField,
    as_of,
)
from agreements.models import (
    Agreement,
    BlocMembership,
    Commitment,
    Economy,
    Measure,
    NegotiationRound,
    Product,
    Rate,
)
from agreements.models.agreements import AgreementStatus
from agreements.models.choices import (
    AgreementKind,
    CommitmentKind,
    EconomyKind,
    LegalBasis,
    ProductLevel,
    RateStatus,
    RoundStatus,
)


class DateFilter(filters.DateFilter):
    field_class = DateFormField


class EconomiesFilter(filters.ModelMultipleChoiceFilter):
    """Repeatable economy codes, case-insensitive."""

    field_class = EconomyCodesFormField


class EconomyFilter(filters.ModelChoiceFilter):
    """An economy by code, case-insensitive; an unknown code is a 400."""

    field_class = EconomyCodeFormField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Economy.objects.all())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)


class AgreementFilter(filters.ModelChoiceFilter):
    """An agreement by slug; an unknown slug is a 400 rather than an empty list."""

    field_class = SlugFormField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Agreement.objects.all())
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)


class MeasureFilter(filters.ModelChoiceFilter):
    """A measure by id; an unknown id is a 400 rather than an empty list."""

    field_class = IdFormField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Measure.objects.all())
        super().__init__(*args, **kwargs)


class HSCodeFilter(filters.CharFilter):
    """An HS code of 2 to 10 digits; dots and spaces are dropped, anything else is a 400."""

    field_class = HSCodeFormField


class ProductFilter(filters.ModelChoiceFilter):
    """A line of the nomenclature by HS code (dots and spaces dropped); unknown: a 400."""

    field_class = ProductFormField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Product.objects.all())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)


class EconomyFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=EconomyKind.choices, help_text="`country` or `bloc`.")
    member_of = EconomyFilter(
        method="filter_member_of", help_text="Code of a bloc: its members today, e.g. EU."
    )

    class Meta:
        model = Economy
        fields = ["kind", "member_of"]

    def filter_member_of(self, queryset: QuerySet[Economy], name: str, value: Economy) -> Any:
        current = BlocMembership.objects.on(timezone.localdate()).filter(bloc=value)
        return queryset.filter(code__in=current.values("member_id"))


class ProductFilterSet(filters.FilterSet):
    parent = ProductFilter(help_text="HS code of the parent line, e.g. 9503.")
    level = filters.ChoiceFilter(choices=ProductLevel.choices, help_text="Nomenclature level.")
    prefix = HSCodeFilter(
        field_name="code", lookup_expr="startswith", help_text="Lines whose code starts so."
    )

    class Meta:
        model = Product
        fields = ["parent", "level", "prefix"]


class AgreementFilterSet(filters.FilterSet):
    party = EconomiesFilter(
        queryset=Economy.objects.all(),
        to_field_name="code",
        method="filter_party",
        help_text="Code of a party; repeat it (`party=US&party=CN`): all must be parties.",
    )
    kind = filters.ChoiceFilter(choices=AgreementKind.choices, help_text="Kind of agreement.")
    status = filters.ChoiceFilter(
        choices=AgreementStatus.choices,
        method="filter_status",
        help_text="Status as of `as_of` (default today).",
    )
    active_on = DateFilter(
        method="filter_active_on", help_text="In force on this date, as known on that date."
    )

    class Meta:
        model = Agreement
        fields = ["party", "kind", "status", "active_on"]

    def filter_party(self, queryset: Any, name: str, value: Any) -> Any:
        # django-filter calls this with an empty selection too; then there is nothing to do.
        if not value:
            return queryset
        return queryset.with_parties([economy.code for economy in value])

    def filter_status(self, queryset: QuerySet[Agreement], name: str, value: str) -> Any:
        on = as_of(self.request)
        return queryset.filter(
            pk__in=Agreement.objects.with_status_as_of(on)
            .filter(**{"computed_status": value})  # The stubs cannot see method annotations.
            .values("pk")
        )

    def filter_active_on(self, queryset: QuerySet[Agreement], name: str, value: dt.date) -> Any:
        return queryset.filter(pk__in=Agreement.objects.in_force_on(value).values("pk"))


class NegotiationRoundFilterSet(filters.FilterSet):
    agreement = AgreementFilter(help_text="Slug of the agreement.")
    party = EconomyFilter(field_name="parties", help_text="Code of a negotiating economy.")
    city = filters.CharFilter(lookup_expr="iexact", help_text="City, case-insensitive.")
    official = filters.CharFilter(
        field_name="delegates__name",
        lookup_expr="icontains",
        distinct=True,
        help_text="Part of a delegate's name, e.g. Bessent.",
    )
    status = filters.ChoiceFilter(choices=RoundStatus.choices, help_text="Round status.")
    start = DateFilter(
        field_name="end_date", lookup_expr="gte", help_text="Rounds ending on or after this date."
    )
    end = DateFilter(
        field_name="start_date",
        lookup_expr="lte",
        help_text="Rounds starting on or before this date.",
    )

    class Meta:
        model = NegotiationRound
        fields = ["agreement", "party", "city", "official", "status"]


# `from` is a Python keyword, so the two are declared as start/end and renamed on the class,
# where both the requests and the OpenAPI schema read them.
NegotiationRoundFilterSet.base_filters["from"] = NegotiationRoundFilterSet.base_filters.pop("start")
NegotiationRoundFilterSet.base_filters["to"] = NegotiationRoundFilterSet.base_filters.pop("end")


class CommitmentFilterSet(filters.FilterSet):
    agreement = AgreementFilter(help_text="Slug of the agreement.")
    pledger = EconomyFilter(help_text="Code of the pledging economy.")
    kind = filters.ChoiceFilter(choices=CommitmentKind.choices, help_text="Kind of pledge.")

    class Meta:
        model = Commitment
        fields = ["agreement", "pledger", "kind"]


class ClaimFilter(filters.CharFilter):
    """A program indicator, case-insensitive; a malformed one is a 400."""

    field_class = ClaimFormField


class MeasureFilterSet(filters.FilterSet):
    importer = EconomyFilter(help_text="Code of the levying economy.")
    origin = EconomyFilter(help_text="Code of the origin named by the measure.")
    legal_basis = filters.ChoiceFilter(choices=LegalBasis.choices, help_text="Legal basis.")
    program = filters.CharFilter(help_text="Program slug.")
    agreement = AgreementFilter(help_text="Slug of the agreement.")
    hs = HSCodeFilter(method="filter_hs", help_text="Measures whose scope covers this HS code.")
    active_on = DateFilter(
        method="filter_active_on", help_text="Measures with an in-force period on this date."
    )
    claim = ClaimFilter(
        help_text="Measures that apply only with this claim: a program indicator such as S, "
        "KR or A+, case-insensitive, matched exactly (`S` does not match `S+`)."
    )

    class Meta:
        model = Measure
        fields = [
            "importer",
            "origin",
            "legal_basis",
            "program",
            "agreement",
            "hs",
            "active_on",
            "claim",
        ]

    def filter_hs(self, queryset: QuerySet[Measure], name: str, value: str) -> Any:
        return queryset.filter(pk__in=Measure.objects.covering(value).values("pk"))

    def filter_active_on(self, queryset: QuerySet[Measure], name: str, value: dt.date) -> Any:
        active = Rate.objects.filter(status=RateStatus.IN_FORCE).covering(value)
        return queryset.filter(pk__in=active.values("measure_id"))


class RateFilterSet(filters.FilterSet):
    importer = EconomyFilter(field_name="measure__importer", help_text="Code of the importer.")
    origin = EconomyFilter(field_name="measure__origin", help_text="Code of the origin.")
    hs = HSCodeFilter(method="filter_hs", help_text="Periods of measures covering this code.")
    legal_basis = filters.ChoiceFilter(
        field_name="measure__legal_basis", choices=LegalBasis.choices, help_text="Legal basis."
    )
    status = filters.ChoiceFilter(choices=RateStatus.choices, help_text="Period status.")
    active_on = DateFilter(method="filter_active_on", help_text="Periods covering it.")
    agreement = AgreementFilter(
        field_name="measure__agreement", help_text="Slug of the agreement the measure implements."
    )
    measure = MeasureFilter(help_text="Id of the measure.")

    class Meta:
        model = Rate
        fields = [
            "importer",
            "origin",
            "hs",
            "legal_basis",
            "status",
            "active_on",
            "agreement",
            "measure",
        ]

    def filter_hs(self, queryset: QuerySet[Rate], name: str, value: str) -> Any:
        return queryset.filter(measure_id__in=Measure.objects.covering(value).values("pk"))

    def filter_active_on(self, queryset: QuerySet[Rate], name: str, value: dt.date) -> Any:
        return queryset.covering(value)  # type: ignore[attr-defined]

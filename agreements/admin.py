"""Data entry for staff who are not programmers.

Economies and products are reference data (seed_data loads them): browsable and searchable,
and they feed the autocompletes. Everything else is edited here, with inlines for the parts
of a record (extensions of an agreement, rates of a measure, delegates of a round). Every
invariant the database enforces is also validated in the forms, so a bad entry answers with
a form error and writes nothing. Every change page has a History button: the audit trail of
that record (who, when, which fields), kept by django-simple-history.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from agreements import engine
from agreements.forms import EffectiveRateForm, MeasureAdminForm
from agreements.models import (
    Agreement,
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
    TariffLine,
)
from agreements.models.choices import RateStatus

TIMESTAMPS = ("created_at", "updated_at")


class TimestampedAdmin(SimpleHistoryAdmin):
    """Shows created/updated read-only on every change page, and the record's history."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), *TIMESTAMPS)


class MembershipInline(admin.TabularInline):
    model = BlocMembership
    fk_name = "bloc"
    extra = 0
    autocomplete_fields = ["member"]
    verbose_name = "member"


@admin.register(Economy)
class EconomyAdmin(TimestampedAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]


@admin.register(BlocMembership)
class BlocMembershipAdmin(TimestampedAdmin):
    list_display = ["member", "bloc", "joined_on", "left_on"]
    list_filter = ["bloc"]
    list_select_related = ["member", "bloc"]
    search_fields = ["member__code", "member__name"]
    autocomplete_fields = ["bloc", "member"]
    date_hierarchy = "joined_on"


@admin.register(Product)
class ProductAdmin(TimestampedAdmin):
    list_display = ["code", "level", "short_description"]
    list_filter = ["level"]
    # `code` first and as a prefix: staff type the start of an HS code.
    search_fields = ["^code", "description"]
    autocomplete_fields = ["parent"]
    list_per_page = 100
    # ~28,000 rows with the national lines: no COUNT(*) of the whole table on every page.
    show_full_result_count = False

    @admin.display(description="description")
    def short_description(self, obj: Product) -> str:
        return obj.description[:120]


@admin.register(TariffLine)
class TariffLineAdmin(admin.ModelAdmin):
    """Loaded by the import commands from the official schedules; shown for reference.

    A plain ModelAdmin: tariff lines are not in the audit history (agreements.models.history).
    """

    list_display = ["importer", "code", "edition", "general", "short_description"]
    list_filter = ["importer", "edition"]
    list_select_related = ["importer"]
    search_fields = ["^code", "description"]
    autocomplete_fields = ["importer", "sources"]
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = TIMESTAMPS

    @admin.display(description="description")
    def short_description(self, obj: TariffLine) -> str:
        return obj.description[-120:]


@admin.register(Source)
class SourceAdmin(TimestampedAdmin):
    list_display = ["title", "publisher", "published_on", "url", "locator"]
    # Django 6's default, chosen now: a URL typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ["title", "publisher", "url", "locator"]
    date_hierarchy = "published_on"


class ExtensionInline(admin.TabularInline):
    model = Extension
    extra = 0
    autocomplete_fields = ["sources"]


class RoundInline(admin.TabularInline):
    """Rounds are edited on their own page; listed here for orientation."""

    model = NegotiationRound
    extra = 0
    fields = ("title", "city", "start_date", "end_date", "status")
    readonly_fields = ("title", "city", "start_date", "end_date", "status")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(TimestampedAdmin):
    list_display = [
        "title",
        "kind",
        "announced_on",
        "effective_on",
        "status_today",
        "expiry_today",
    ]
    list_filter = ["kind", "binding", "parties"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["parties", "sources"]
    date_hierarchy = "announced_on"
    inlines = [ExtensionInline, RoundInline]
    readonly_fields = ["status_today", "expiry_today"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agreement]:
        return super().get_queryset(request).prefetch_related("extensions")

    @admin.display(description="status today")
    def status_today(self, obj: Agreement) -> str:
        return str(obj.status_as_of(timezone.localdate()).label)

    @admin.display(description="expiry as known today")
    def expiry_today(self, obj: Agreement) -> Any:
        return obj.expiry_as_of(timezone.localdate())


@admin.register(Extension)
class ExtensionAdmin(TimestampedAdmin):
    list_display = ["agreement", "decided_on", "expires_on", "instrument"]
    list_select_related = ["agreement"]
    search_fields = ["agreement__title", "instrument"]
    autocomplete_fields = ["agreement", "sources"]
    date_hierarchy = "decided_on"


class DelegateInline(admin.TabularInline):
    model = Delegate
    extra = 0
    autocomplete_fields = ["economy"]


@admin.register(NegotiationRound)
class NegotiationRoundAdmin(TimestampedAdmin):
    list_display = ["title", "city", "venue_country", "start_date", "end_date", "status"]
    list_filter = ["status", "venue_country", "parties"]
    list_select_related = ["venue_country"]
    search_fields = ["title", "city", "venue", "delegates__name"]
    autocomplete_fields = ["agreement", "venue_country", "parties", "sources"]
    date_hierarchy = "start_date"
    inlines = [DelegateInline]


@admin.register(Delegate)
class DelegateAdmin(TimestampedAdmin):
    list_display = ["name", "title", "economy", "round", "is_lead"]
    list_filter = ["economy", "is_lead"]
    list_select_related = ["economy", "round"]
    search_fields = ["name", "title"]
    autocomplete_fields = ["round", "economy"]


@admin.register(Commitment)
class CommitmentAdmin(TimestampedAdmin):
    list_display = ["slug", "pledger", "beneficiary", "kind", "amount", "currency", "due_by"]
    list_filter = ["kind", "pledger", "beneficiary"]
    list_select_related = ["pledger", "beneficiary"]
    search_fields = ["slug", "description"]
    autocomplete_fields = ["agreement", "pledger", "beneficiary", "sources"]
    date_hierarchy = "announced_on"


class RateInlineFormSet(BaseInlineFormSet):
    """Refuses two overlapping in-force periods within one submission.

    Rate.clean() compares a period with the rows already saved; rows added or changed in the
    same form are not saved yet, so they are compared with each other here.
    """

    def clean(self) -> None:
        super().clean()
        periods = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("status") != RateStatus.IN_FORCE:
                continue
            if data.get("valid_from") is None:
                continue
            periods.append((data["valid_from"], data.get("valid_to"), form))
        periods.sort(key=lambda period: period[0])
        for (start, end, _), (next_start, _, form) in itertools.pairwise(periods):
            if end is None or next_start < end:
                form.add_error(
                    "valid_from",
                    f"Overlaps the in-force period {start} to {end or 'open-ended'} "
                    "entered in this form.",
                )
                raise ValidationError("Two in-force periods of this measure overlap.")


class RateInline(admin.TabularInline):
    model = Rate
    formset = RateInlineFormSet
    extra = 0
    fields = ["rate", "valid_from", "valid_to", "status", "note"]


class ChoicesInUseFilter(admin.ChoicesFieldListFilter):
    """A choices field's filter offering only the values some record has, by their labels:
    with thousands of measures, a choice that matches nothing is a dead end."""

    def choices(self, changelist: Any) -> Any:
        used = set(
            changelist.model._default_manager.order_by()
            .values_list(self.field_path, flat=True)
            .distinct()
        )
        yield {
            "selected": self.lookup_val is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": "All",
        }
        for value, label in self.field.flatchoices:
            if value in used:
                yield {
                    "selected": self.lookup_val is not None and str(value) in self.lookup_val,
                    "query_string": changelist.get_query_string({self.lookup_kwarg: value}),
                    "display": label,
                }


@admin.register(Measure)
class MeasureAdmin(TimestampedAdmin):
    """~15,000 measures (an MFN line each, the chapter 99 duties) and scopes of thousands of
    codes: a paginated, searchable list whose filters offer only values in use, and the
    product scope edited as text (agreements.forms.MeasureAdminForm)."""

    form = MeasureAdminForm
    list_display = ["title", "importer", "origin", "legal_basis", "kind", "program", "basis"]
    list_filter = [
        ("legal_basis", ChoicesInUseFilter),
        ("kind", ChoicesInUseFilter),
        ("basis", ChoicesInUseFilter),
        ("importer", admin.RelatedOnlyFieldListFilter),
        ("origin", admin.RelatedOnlyFieldListFilter),
        "program",
    ]
    list_select_related = ["importer", "origin"]
    # `=products__code`: the measures that name a code exactly (e.g. 8471 or 85423100).
    search_fields = ["title", "slug", "instrument", "program", "=products__code"]
    search_help_text = "Title, slug, instrument or program; or an HS code a measure names."
    list_per_page = 100
    show_full_result_count = False
    autocomplete_fields = ["importer", "origin", "excluded_origins", "agreement", "sources"]
    inlines = [RateInline]


@admin.register(Rate)
class RateAdmin(TimestampedAdmin):
    list_display = ["measure", "rate", "valid_from", "valid_to", "status"]
    list_filter = [
        "status",
        "measure__legal_basis",
        ("measure__importer", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["measure"]
    # ~30,000 periods with the HTS editions: paginated, searchable by the measure's slug.
    search_fields = ["measure__title", "measure__instrument", "=measure__slug"]
    list_per_page = 100
    show_full_result_count = False
    autocomplete_fields = ["measure"]
    date_hierarchy = "valid_from"

    def get_urls(self) -> list[URLPattern]:
        effective = path(
            "effective/",
            self.admin_site.admin_view(self.effective_view),
            name="agreements_rate_effective",
        )
        return [effective, *super().get_urls()]

    def effective_view(self, request: HttpRequest) -> HttpResponse:
        """Staff check an entry by asking the engine what it now answers."""
        form = EffectiveRateForm(request.GET or None)
        result = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = engine.effective_rate(
                    importer=data["importer"],
                    origin=data["origin"],
                    hs=data["hs"],
                    on=data["date"],
                    scenario=engine.Scenario(data["scenario"]),
                )
            except engine.UnknownEconomy as error:
                form.add_error(error.field, str(error))
        context = {
            **self.admin_site.each_context(request),
            "title": "Effective duty",
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/agreements/rate/effective.html", context)

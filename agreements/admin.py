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
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from agreements import engine
from agreements.engine.shipment import ShipmentError
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
from agreements.models.choices import MeasureKind, RateStatus

# The admin's home leads with the duty calculator (agreements/templates/admin/agreements/).
admin.site.index_template = "admin/agreements/index.html"

TIMESTAMPS = ("created_at", "updated_at")
RelatedOnly = admin.RelatedOnlyFieldListFilter
UNTIL = "until (not including)"
# Every date a period ends on is the first day it no longer applies (half-open periods).
UNTIL_HELP = "The first day it no longer applies. Leave empty if it has no end."

# Labels and help texts in plain words for staff. The models' help texts also document the
# API, where naming values such as `in_force` is right; here staff see the words instead.
PLAIN_WORDS: dict[tuple[type[models.Model], str], tuple[str | None, str]] = {
    (Economy, "kind"): (None, "A country, or a bloc such as the EU whose members share tariffs."),
    (BlocMembership, "left_on"): ("left on (not a member from)", UNTIL_HELP),
    (Agreement, "expires_on"): (
        "expires on (first day no longer in force)",
        "As first agreed; later extensions are entered below and take precedence.",
    ),
    (Extension, "expires_on"): ("new expiry (first day no longer in force)", ""),
    (Measure, "kind"): (
        None,
        "Base rate: the normal or preferential duty. Additional duty: added on top of the "
        "base. All-in ceiling: raises the total to its own rate when the total is lower.",
    ),
    (Measure, "products"): (
        None,
        "HS codes covered, each with every longer code under it. Leave empty for all goods.",
    ),
    (Measure, "excluded_products"): (None, "HS codes left out of the goods covered."),
    (Measure, "basis"): (
        None,
        "Customs value: the duty is on the whole value. Value of one content: only on the "
        "value of, say, the steel in a steel product.",
    ),
    (Measure, "claim"): (
        None,
        "The preference a shipment must claim for this rate to apply, as the tariff prints "
        "it (e.g. KR or S+). Leave empty if it applies without a claim.",
    ),
    (Source, "url"): (
        None,
        "Address of the page where the document can be read; leave empty for an official "
        "file cited by its place in the file (below).",
    ),
    (Source, "locator"): (
        None,
        "For an official file: its name and line, e.g. usitc/hts_2026_basic_edition.csv "
        "line 12345. Leave empty for a web page.",
    ),
    (Rate, "expression"): (None, "The duty as the tariff prints it, e.g. 4.4¢/kg + 2.5%."),
    (Rate, "specific_amount"): (
        None,
        "Money per unit of quantity, e.g. 0.044 for 4.4 cents. Leave empty if there is none.",
    ),
    (Rate, "specific_currency"): (None, "Three-letter currency code of that amount, e.g. USD."),
    (Rate, "specific_unit"): (None, "Unit of quantity the amount is charged on, e.g. kg."),
    (Rate, "rate"): ("rate (%)", "Duty as a percentage of the goods' value: 25 means 25%."),
    (Rate, "valid_from"): ("from", "The first day the rate applies."),
    (Rate, "valid_to"): (UNTIL, UNTIL_HELP),
    (Rate, "status"): (
        None,
        "In force: counted in the duty. Announced: counted only when asking about announced "
        "rates too. Suspended: never counted.",
    ),
    (Commitment, "amount"): (
        None,
        "Money pledged, in the currency below: 550000000000 for $550 billion.",
    ),
    (Commitment, "currency"): (
        None,
        "Three-letter currency code such as USD; leave empty when no money is pledged.",
    ),
    (Commitment, "quantity"): (None, "Quantity pledged, in the unit below."),
    (Commitment, "unit"): (None, "Unit of the quantity, e.g. tonnes or aircraft."),
}


class PlainWords:
    """Model admin or inline mixin: PLAIN_WORDS' labels and help texts on its form fields."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        words = PLAIN_WORDS.get((db_field.model, db_field.name))
        if field is not None and words is not None:
            label, help_text = words
            if label is not None:
                field.label = label[0].upper() + label[1:]
            field.help_text = help_text
        return field


def percent(value: Any) -> str:
    # A no-break space keeps the sign beside the number when a column wraps.
    return f"{value}\u00a0%"


def rate_until(rate: Rate) -> str:
    return rate.valid_to.isoformat() if rate.valid_to else "no end"


class TimestampedAdmin(PlainWords, SimpleHistoryAdmin):
    """Shows created/updated read-only on every change page, and the record's history."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), *TIMESTAMPS)


class MembershipInline(PlainWords, admin.TabularInline):
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
    list_display = ["member", "bloc", "joined_on", "left_on_until"]
    list_filter = [("bloc", RelatedOnly)]
    list_select_related = ["member", "bloc"]
    search_fields = ["member__code", "member__name"]
    autocomplete_fields = ["bloc", "member"]
    date_hierarchy = "joined_on"

    @admin.display(description="left on (not a member from)", ordering="left_on")
    def left_on_until(self, obj: BlocMembership) -> Any:
        return obj.left_on or "still a member"


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


class ExtensionInline(PlainWords, admin.TabularInline):
    model = Extension
    extra = 0
    autocomplete_fields = ["sources"]


class RoundInline(PlainWords, admin.TabularInline):
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
    list_filter = ["kind", "binding", ("parties", RelatedOnly)]
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

    @admin.display(description="expires (as known today)")
    def expiry_today(self, obj: Agreement) -> Any:
        return obj.expiry_as_of(timezone.localdate())


@admin.register(Extension)
class ExtensionAdmin(TimestampedAdmin):
    list_display = ["agreement", "decided_on", "expires_on", "instrument"]
    list_select_related = ["agreement"]
    search_fields = ["agreement__title", "instrument"]
    autocomplete_fields = ["agreement", "sources"]
    date_hierarchy = "decided_on"


class DelegateInline(PlainWords, admin.TabularInline):
    model = Delegate
    extra = 0
    autocomplete_fields = ["economy"]


@admin.register(NegotiationRound)
class NegotiationRoundAdmin(TimestampedAdmin):
    list_display = ["title", "city", "venue_country", "start_date", "end_date", "status"]
    list_filter = ["status", ("venue_country", RelatedOnly), ("parties", RelatedOnly)]
    list_select_related = ["venue_country"]
    search_fields = ["title", "city", "venue", "delegates__name"]
    autocomplete_fields = ["agreement", "venue_country", "parties", "sources"]
    date_hierarchy = "start_date"
    inlines = [DelegateInline]


@admin.register(Delegate)
class DelegateAdmin(TimestampedAdmin):
    list_display = ["name", "title", "economy", "round", "is_lead"]
    list_filter = [("economy", RelatedOnly), "is_lead"]
    list_select_related = ["economy", "round"]
    search_fields = ["name", "title"]
    autocomplete_fields = ["round", "economy"]


@admin.register(Commitment)
class CommitmentAdmin(TimestampedAdmin):
    list_display = ["slug", "pledger", "beneficiary", "kind", "amount", "currency", "due_by"]
    list_filter = ["kind", ("pledger", RelatedOnly), ("beneficiary", RelatedOnly)]
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


class RateInline(PlainWords, admin.TabularInline):
    model = Rate
    verbose_name = "rate period"
    formset = RateInlineFormSet
    extra = 0
    fields = ["rate", "valid_from", "valid_to", "status", "note"]
    # Two lines per note: the full-size box would push each period onto a screen of its own.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}


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
    list_display = [
        "title_and_slug",
        "importer",
        "origin_or_all",
        "legal_basis",
        "kind",
        "program",
        "rate_today",
    ]
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
    # Adds a link to the duty calculator, asked about this measure's importer and origin.
    change_form_template = "admin/agreements/measure/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Measure]:
        return super().get_queryset(request).prefetch_related("rates")

    @admin.display(description="measure", ordering="title")
    def title_and_slug(self, obj: Measure) -> str:
        # Titles repeat (one per origin or product list); the slug tells them apart.
        return format_html("{}<br><small>{}</small>", obj.title, obj.slug)

    @admin.display(description="origin", ordering="origin")
    def origin_or_all(self, obj: Measure) -> Any:
        return obj.origin or "all origins"

    @admin.display(description="rate in force today")
    def rate_today(self, obj: Measure) -> str:
        today = timezone.localdate()
        for rate in obj.rates.all():
            started = rate.status == RateStatus.IN_FORCE and rate.valid_from <= today
            if started and (rate.valid_to is None or today < rate.valid_to):
                return percent(rate.rate)
        return "none"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        measure = self.get_object(request, object_id)
        if measure is not None:
            extra_context = {**(extra_context or {}), "calculator_query": calculator_query(measure)}
        return super().change_view(request, object_id, form_url, extra_context)


def calculator_query(measure: Measure) -> str:
    """The duty calculator's question for this measure: its importer, its origin (or, for
    all origins, none chosen), its first HS code, today, the rates in force."""
    product = measure.products.order_by("code").first()
    return urlencode(
        {
            "importer": measure.importer_id,
            "origin": measure.origin_id or "",
            "hs": product.code if product else "",
            "date": timezone.localdate().isoformat(),
            "scenario": engine.Scenario.IN_FORCE.value,
        }
    )


@admin.register(Rate)
class RateAdmin(TimestampedAdmin):
    list_display = [
        "measure_title",
        "scope",
        "rate_percent",
        "valid_from",
        "until",
        "status",
    ]
    list_display_links = ["measure_title", "rate_percent"]
    list_filter = [
        "status",
        "measure__legal_basis",
        ("measure__importer", RelatedOnly),
        ("measure__origin", RelatedOnly),
    ]
    list_select_related = ["measure"]
    # ~30,000 periods with the HTS editions: paginated, searchable by the measure's slug.
    search_fields = ["measure__title", "measure__instrument", "=measure__slug"]
    list_per_page = 100
    show_full_result_count = False
    autocomplete_fields = ["measure"]
    date_hierarchy = "valid_from"

    @admin.display(description="measure", ordering="measure__title")
    def measure_title(self, obj: Rate) -> str:
        # Two measures may share a title; the slug under it tells them apart.
        return format_html("{}<br><small>{}</small>", obj.measure.title, obj.measure.slug)

    @admin.display(description="importer ← origin")
    def scope(self, obj: Rate) -> str:
        return f"{obj.measure.importer_id} ← {obj.measure.origin_id or 'all origins'}"

    @admin.display(description="rate", ordering="rate")
    def rate_percent(self, obj: Rate) -> str:
        return percent(obj.rate)

    @admin.display(description=UNTIL, ordering="valid_to")
    def until(self, obj: Rate) -> str:
        return rate_until(obj)

    def get_urls(self) -> list[URLPattern]:
        effective = path(
            "effective/",
            self.admin_site.admin_view(self.effective_view),
            name="agreements_rate_effective",
        )
        return [effective, *super().get_urls()]

    def effective_view(self, request: HttpRequest) -> HttpResponse:
        """Staff check an entry by asking the engine what it now answers."""
        # A question with a blank (a measure's link when it covers all origins or goods)
        # fills the form for staff to complete rather than answering with errors.
        required = [n for n, f in EffectiveRateForm.base_fields.items() if f.required]
        complete = all(request.GET.get(name) for name in required)
        if complete:
            form = EffectiveRateForm(request.GET)
        else:
            form = EffectiveRateForm(initial=request.GET.dict())
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
                    claims=data["claims"],
                    shipment=form.shipment(),
                )
            except (engine.UnknownEconomy, ShipmentError) as error:
                form.add_error(error.field, str(error))
        context = {
            **self.admin_site.each_context(request),
            "title": "Duty calculator",
            "form": form,
            "result": result,
            "components": [
                (component, MeasureKind(component.kind).label)
                for component in (result.duty.components if result else ())
            ],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/agreements/rate/effective.html", context)

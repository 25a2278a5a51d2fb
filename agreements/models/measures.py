from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Upper

from agreements.models.agreements import Agreement
from agreements.models.base import TimeStampedModel
from agreements.models.choices import LegalBasis, MeasureBasis, MeasureKind, RateStatus
from agreements.models.economies import Economy
from agreements.models.products import Product
from agreements.models.sources import Source
from agreements.models.yields import YieldCycle, Yielding, find_cycle, yieldings_from
from agreements.validators import CURRENCY_REGEX, SLUG_REGEX, hs_prefixes, validate_currency

# A program indicator as the importer's tariff prints it in its Special column: "S", "S+",
# "KR", "A*". Upper case, so a claim matches whatever case a client typed it in.
CLAIM_REGEX = r"^[A-Z][A-Z0-9]{0,4}[+*]?$"
# As a client may type one (API.md: case-insensitive), for the API's inputs. Anchored with
# \Z: DRF's RegexField searches, and unanchored it took `0S` for a claim.
CLAIM_INPUT_REGEX = r"^[A-Za-z][A-Za-z0-9]{0,4}[+*]?\Z"
_CLAIM = re.compile(CLAIM_REGEX)
_SLUG = re.compile(SLUG_REGEX)


def normalize_claim(value: str) -> str:
    return value.strip().upper()


def _list_errors(value: object, pattern: re.Pattern[str], what: str) -> str | None:
    if not isinstance(value, list):
        return f"A list of {what}s."
    bad = [item for item in value if not isinstance(item, str) or not pattern.match(item)]
    if bad:
        return f"Not a valid {what}: {', '.join(map(str, bad))}."
    if len(set(value)) != len(value):
        return f"Each {what} once."
    return None


class MeasureQuerySet(models.QuerySet["Measure"]):
    def covering(self, code: str) -> MeasureQuerySet:
        """Measures whose product scope covers HS `code`: no products (all goods) or one that
        is a prefix of it, and no excluded product that is.

        The rate engine applies the same rule in SQL (`agreements.engine.queries`);
        tests/test_rule_mirrors.py holds the two to the same answers.
        """
        prefixes = hs_prefixes(code)
        scope = Measure.products.through.objects.filter(
            measure_id=OuterRef("pk"), product_id__in=prefixes
        )
        excluded = Measure.excluded_products.through.objects.filter(
            measure_id=OuterRef("pk"), product_id__in=prefixes
        )
        return self.filter(Q(covers_all_products=True) | Exists(scope), ~Exists(excluded))


class Measure(TimeStampedModel):
    """One duty set by one legal instrument for a scope of origins and products.

    Its rates over time are its `rates` (Rate rows). Measures that share a `program` are
    alternatives: on a date, only the most specific applicable one of a program applies.
    """

    slug = models.SlugField(max_length=120, unique=True, help_text="Stable identifier.")
    title = models.CharField(max_length=300, help_text="What the duty is, in a few words.")
    importer = models.ForeignKey(
        Economy,
        on_delete=models.PROTECT,
        related_name="measures_levied",
        help_text="The economy that levies the duty.",
    )
    origin = models.ForeignKey(
        Economy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures_faced",
        help_text="Origin the duty applies to (a country, or a bloc for its member states); "
        "empty for all origins.",
    )
    excluded_origins = models.ManyToManyField(
        Economy,
        blank=True,
        related_name="measures_excluded_from",
        help_text="Origins exempt from an all-origins measure.",
    )
    products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="measures",
        help_text="HS prefixes covered; each covers every longer code under it. Empty: all goods.",
    )
    excluded_products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="measures_excluding",
        help_text="HS prefixes carved out of the scope.",
    )
    # Derived, and kept by the database: true while `products` is empty. The rate engine
    # finds a code's candidates from the products index plus these few all-goods measures,
    # instead of asking each of the importer's ~15,000 line measures whether it has products.
    # Triggers (migration 0009) set it on every write to the measure or its products, raw SQL
    # included, so a stale value an instance carries cannot be saved.
    covers_all_products = models.BooleanField(
        default=True,
        editable=False,
        help_text="Derived: true when the measure names no products (it covers all goods).",
    )
    legal_basis = models.CharField(
        max_length=20, choices=LegalBasis.choices, help_text="The law the duty rests on."
    )
    instrument = models.CharField(
        max_length=300, help_text="The act that sets the duty, e.g. 'EO 14257'."
    )
    program = models.SlugField(
        max_length=120,
        help_text="Measures of one program are alternatives: only the most specific applies.",
    )
    kind = models.CharField(
        max_length=10,
        choices=MeasureKind.choices,
        help_text="`base` is an MFN or preferential rate; `additional` adds its rate; `all_in` "
        "adds max(0, rate - base).",
    )
    claim = models.CharField(
        max_length=6,
        blank=True,
        help_text="The preference a shipment must claim for the measure to apply, as the "
        "importer's Special column prints it (e.g. KR, S+); empty: applies without a claim.",
    )
    waived_by = models.JSONField(
        default=list,
        blank=True,
        help_text='Claims that switch the measure off, e.g. ["S", "S+"] for goods '
        "qualifying under USMCA.",
    )
    yields_to = models.JSONField(
        default=list,
        blank=True,
        help_text="Programs this measure gives way to: it does not apply where a measure of "
        "one of them applies to the same shipment.",
    )
    yields_content_to = models.JSONField(
        default=list,
        blank=True,
        help_text="Programs this measure gives way to on their content only: where a "
        "`content`-basis measure of one of them applies to the same shipment, this measure is "
        "charged on the value less the content value.",
    )
    basis = models.CharField(
        max_length=10,
        choices=MeasureBasis.choices,
        default=MeasureBasis.VALUE,
        help_text="`value`: the duty is on the customs value; `content`: on the value of one "
        "content only (the steel in a steel derivative).",
    )
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measures",
        help_text="The agreement the measure implements, if any.",
    )
    note = models.TextField(blank=True, help_text="Caveats: inferred scope, disputed values.")
    sources = models.ManyToManyField(
        Source, related_name="measures", help_text="Sources for this measure and its rates."
    )

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["importer", "program", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(origin__isnull=True) | ~Q(origin=F("importer")),
                name="measure_origin_not_importer",
                violation_error_message="A measure cannot levy a duty on its own importer.",
            ),
            models.CheckConstraint(
                condition=Q(claim="") | Q(claim__regex=CLAIM_REGEX),
                name="measure_claim_format",
                violation_error_message=(
                    "A claim is a program indicator in upper case, e.g. KR, S+ or A*."
                ),
            ),
            # Redundant with the format on a case-sensitive regex engine; kept because SQLite's
            # REGEXP and some collations are not, and lower case must never be stored.
            models.CheckConstraint(
                condition=Q(claim=Upper("claim")),
                name="measure_claim_upper_case",
                violation_error_message="A claim is stored in upper case.",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=MeasureBasis.values),
                name="measure_basis_valid",
                violation_error_message="basis is value or content.",
            ),
        ]
        indexes = [
            models.Index(fields=["importer", "origin"], name="measure_importer_origin_idx"),
            models.Index(
                fields=["importer"],
                condition=Q(covers_all_products=True),
                name="measure_all_goods_idx",
            ),
            models.Index(fields=["program"], name="measure_program_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.claim = normalize_claim(self.claim or "")
        if isinstance(self.waived_by, list):
            self.waived_by = [
                normalize_claim(c) if isinstance(c, str) else c for c in self.waived_by
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        self.claim = normalize_claim(self.claim or "")
        if self.claim and not _CLAIM.match(self.claim):
            errors["claim"] = "A claim is a program indicator in upper case, e.g. KR, S+ or A*."
        if isinstance(self.waived_by, list):
            self.waived_by = [
                normalize_claim(c) if isinstance(c, str) else c for c in self.waived_by
            ]
        problem = _list_errors(self.waived_by, _CLAIM, "claim")
        if problem:
            errors["waived_by"] = problem
        problem = _list_errors(self.yields_to, _SLUG, "program slug")
        if problem:
            errors["yields_to"] = problem
        elif self.program and self.program in self.yields_to:
            errors["yields_to"] = "A measure cannot yield to its own program."
        problem = _list_errors(self.yields_content_to, _SLUG, "program slug")
        if problem:
            errors["yields_content_to"] = problem
        elif self.program and self.program in self.yields_content_to:
            errors["yields_content_to"] = "A measure cannot yield to its own program."
        elif isinstance(self.yields_to, list) and set(self.yields_to) & set(self.yields_content_to):
            # Yielding entirely already covers the content: naming a program in both lists
            # would leave the reader to guess which one the engine follows.
            errors["yields_content_to"] = (
                "A program the measure yields to entirely (yields_to) is not also listed here."
            )
        elif self.yields_content_to and self.kind == MeasureKind.BASE:
            errors["yields_content_to"] = "A base rate is charged on the whole value."
        elif self.yields_content_to and self.basis == MeasureBasis.CONTENT:
            errors["yields_content_to"] = "A content-basis measure is charged on its content."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Any = None) -> None:
        # The cycle rule spans rows, as a unique constraint does: checked with the
        # constraints, which the API's validation and the admin's forms both run.
        super().validate_constraints(exclude=exclude)
        if not {"importer", "program", "yields_to"} & set(exclude or ()):
            self.validate_yields()

    def validate_yields(self) -> None:
        """Refuse `yields_to` that would close a cycle of programs on a day this measure
        has a period (agreements.models.yields)."""
        cycle = self.yield_cycle()
        if cycle is not None:
            # No code: a form would replace the message of a code its field knows.
            raise ValidationError({"yields_to": str(cycle)})

    def yield_cycle(self) -> YieldCycle | None:
        """The cycle this measure's `yields_to` would close, as it stands in memory. A
        measure with no period yet closes none: each period written later is checked."""
        if self.pk is None or not self.importer_id or not _is_slug_list(self.yields_to):
            return None
        lock_yields(self.importer_id)
        periods = tuple(
            Rate.objects.filter(measure_id=self.pk, status__in=COUNTED_STATUSES).values_list(
                "valid_from", "valid_to"
            )
        )
        if not periods:
            return None
        through = Yielding(self.slug, self.program, frozenset(self.yields_to), periods)
        return find_cycle(stored_yieldings(self.importer_id, without=self.pk), through=through)


def _is_slug_list(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and _SLUG.match(item) for item in value)
    )


def lock_yields(importer_id: str) -> None:
    """Inside a transaction, lock the importer's row until it ends, so that two writes
    cannot each pass the cycle check without seeing the other (a cycle spans rows, so no
    database constraint can refuse it). The lock is taken before the graph is read; it
    does not block reads, nor writes that only point at the importer (NO KEY UPDATE).

    Outside a transaction there is no write to hold it for: the services
    (`measure_save`, `rate_save`, `measures_sync`) check again inside theirs. SQLite has no
    row locks; its IMMEDIATE transactions serialize writers instead.
    """
    if transaction.get_connection().in_atomic_block:
        locked = Economy.objects.select_for_update(no_key=True).filter(pk=importer_id)
        list(locked.values_list("pk"))


def stored_yieldings(
    importer_id: str, *, without: int | None = None, using: str | None = None
) -> list[Yielding]:
    """The importer's stored measures that yield to a program, with their counted periods;
    `without` leaves one measure out (the one being written, checked as it stands)."""
    measures = Measure.objects.using(using).filter(importer_id=importer_id).exclude(yields_to=[])
    if without is not None:
        measures = measures.exclude(pk=without)
    rows = list(measures.values_list("pk", "slug", "program", "yields_to"))
    periods = (
        Rate.objects.using(using)
        .filter(measure_id__in=[row[0] for row in rows], status__in=COUNTED_STATUSES)
        .values_list("measure_id", "valid_from", "valid_to")
    )
    return list(yieldings_from(rows, periods).values())


def importer_yield_cycle(importer_id: str, *, using: str | None = None) -> YieldCycle | None:
    """The first cycle among the importer's stored measures, for loads that write many
    measures and periods at once and check the result before committing."""
    return find_cycle(stored_yieldings(importer_id, using=using))


def yield_cycles(importers: Iterable[str] | None = None, *, using: str | None = None) -> list[str]:
    """The first cycle of each of `importers` (of every importer with a measure that
    yields, by default: the whole-database import), named, for loads that write many
    measures at once and check the result before committing."""
    if importers is None:
        importers = (
            Measure.objects.using(using)
            .exclude(yields_to=[])
            .order_by("importer_id")
            .values_list("importer_id", flat=True)
            .distinct()
        )
    return [
        f"{importer}: {cycle}"
        for importer in importers
        if (cycle := importer_yield_cycle(importer, using=using)) is not None
    ]


# Periods the rate engine can apply: in force, and announced (the announced scenario).
COUNTED_STATUSES = (RateStatus.IN_FORCE, RateStatus.ANNOUNCED)


class RateQuerySet(models.QuerySet["Rate"]):
    def covering(self, on: dt.date) -> RateQuerySet:
        """Periods that include `on` (half-open: valid_from <= on < valid_to)."""
        return self.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))

    def overlapping(self, valid_from: dt.date, valid_to: dt.date | None) -> RateQuerySet:
        """Periods that share at least one day with [valid_from, valid_to)."""
        queryset = self.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
        if valid_to is not None:
            queryset = queryset.filter(valid_from__lt=valid_to)
        return queryset


class Rate(TimeStampedModel):
    """One dated period of a measure's rate: an ad valorem percentage over a half-open period."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="rates", help_text="The measure."
    )
    rate = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="Ad valorem percentage, e.g. 145.00; 0.00 when the duty has no ad valorem part.",
    )
    expression = models.TextField(
        blank=True,
        help_text="The duty as published, e.g. '37.5¢/kg + 2.5%'; empty when the rate was "
        "entered as a bare percentage.",
    )
    specific_amount = models.DecimalField(
        max_digits=18,
        decimal_places=8,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Specific part: money per unit of quantity, in the currency's main unit "
        "(4.4¢/kg is 0.044 USD per kg); empty when there is none.",
    )
    specific_currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text="Currency of the specific part (ISO 4217, e.g. USD).",
    )
    specific_unit = models.CharField(
        max_length=30,
        blank=True,
        help_text="Unit of quantity of the specific part as the tariff prints it: kg, liter, "
        "No., doz., m2, pf.liter, 100 kg, ...",
    )
    valid_from = models.DateField(help_text="First day the rate applies.")
    valid_to = models.DateField(
        null=True, blank=True, help_text="First day it no longer applies; empty: open-ended."
    )
    status = models.CharField(
        max_length=10,
        choices=RateStatus.choices,
        default=RateStatus.IN_FORCE,
        help_text="`in_force` periods are applied; `announced` ones only in the announced "
        "scenario; `suspended` ones never.",
    )
    note = models.TextField(blank=True, help_text="Context: the amending act, inferred dates.")

    objects = RateQuerySet.as_manager()

    class Meta:
        ordering = ["measure", "valid_from", "status"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0),
                name="rate_non_negative",
                violation_error_message="A rate cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="rate_valid_to_after_valid_from",
                violation_error_message="valid_to must be after valid_from.",
            ),
            models.UniqueConstraint(
                fields=["measure", "valid_from", "status"], name="rate_unique_measure_start_status"
            ),
            models.CheckConstraint(
                condition=Q(specific_amount__isnull=True, specific_currency="", specific_unit="")
                | (
                    Q(specific_amount__isnull=False)
                    & ~Q(specific_currency="")
                    & ~Q(specific_unit="")
                ),
                name="rate_specific_parts_together",
                violation_error_message=(
                    "A specific duty needs its amount, currency and unit; without one, "
                    "leave all three empty."
                ),
            ),
            models.CheckConstraint(
                condition=Q(specific_amount__isnull=True) | Q(specific_amount__gte=0),
                name="rate_specific_non_negative",
                violation_error_message="A specific amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(specific_currency="") | Q(specific_currency__regex=CURRENCY_REGEX),
                name="rate_specific_currency_format",
                violation_error_message="A currency is an ISO 4217 code, e.g. USD.",
            ),
            # On PostgreSQL, migration 0002 adds `rate_in_force_no_overlap`, an exclusion
            # constraint over daterange(valid_from, valid_to); it is not declared here because
            # SQLite cannot hold it. clean() enforces the same rule on both databases.
        ]
        indexes = [
            models.Index(fields=["measure", "valid_from"], name="rate_measure_from_idx"),
        ]

    def __str__(self) -> str:
        # Read by staff (the admin's lists and history): the status in words.
        until = f"until {self.valid_to}" if self.valid_to else "with no end"
        return f"{self.rate}% from {self.valid_from} {until} ({self.get_status_display()})"

    def colliding_in_force_period(self) -> Rate | None:
        """The first other `in_force` period of the same measure that overlaps this one."""
        if self.status != RateStatus.IN_FORCE or self.measure_id is None:
            return None
        others = Rate.objects.filter(measure_id=self.measure_id, status=RateStatus.IN_FORCE)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        return others.overlapping(self.valid_from, self.valid_to).order_by("valid_from").first()

    def validate_constraints(self, exclude: Any = None) -> None:
        super().validate_constraints(exclude=exclude)
        if not {"valid_from", "valid_to", "status"} & set(exclude or ()):
            self.validate_yields()

    def validate_yields(self) -> None:
        """Refuse a period on which its measure's `yields_to` would close a cycle of
        programs (agreements.models.yields)."""
        cycle = self.yield_cycle()
        if cycle is not None:
            # No code: the admin's date field would replace it by its own "invalid" message.
            raise ValidationError({"valid_from": str(cycle)})

    def yield_cycle(self) -> YieldCycle | None:
        """The cycle this period would close: its measure's `yields_to` (as it stands in
        memory: the admin validates a measure's periods with the measure's edits) on the
        days of this period. The measure's other periods need no look: a cycle on a day of
        this one runs through this one."""
        if self.status not in COUNTED_STATUSES or self.valid_from is None:
            return None
        try:
            measure = self.measure
        except Measure.DoesNotExist:
            return None
        if not measure.importer_id or not _is_slug_list(measure.yields_to):
            return None
        lock_yields(measure.importer_id)
        through = Yielding(
            measure.slug,
            measure.program,
            frozenset(measure.yields_to),
            ((self.valid_from, self.valid_to),),
        )
        others = stored_yieldings(measure.importer_id, without=measure.pk)
        return find_cycle(others, through=through)

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": "valid_to must be after valid_from."})
        parts = (
            self.specific_amount is not None,
            bool(self.specific_currency),
            bool(self.specific_unit),
        )
        if any(parts) and not all(parts):
            missing = [
                name
                for name, present in zip(
                    ("specific_amount", "specific_currency", "specific_unit"), parts, strict=True
                )
                if not present
            ]
            message = (
                "A specific duty needs its amount, currency and unit; without one, leave all "
                "three empty."
            )
            raise ValidationError(dict.fromkeys(missing, message))
        if self.valid_from is None:
            return
        collision = self.colliding_in_force_period()
        if collision is not None:
            raise ValidationError(
                {
                    "valid_from": (
                        f"Overlaps the in-force period {collision.valid_from} to "
                        f"{collision.valid_to or 'open-ended'} (rate {collision.rate}%, "
                        f"id {collision.pk}) of the same measure."
                    )
                }
            )

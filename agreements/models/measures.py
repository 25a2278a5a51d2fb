from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q

from agreements.models.agreements import Agreement
from agreements.models.base import TimeStampedModel
from agreements.models.choices import LegalBasis, MeasureKind, RateStatus
from agreements.models.economies import Economy
from agreements.models.products import Product
from agreements.models.sources import Source
from agreements.validators import hs_prefixes


class MeasureQuerySet(models.QuerySet["Measure"]):
    def covering(self, code: str) -> MeasureQuerySet:
        """Measures whose product scope covers HS `code`: no products (all goods) or one that
        is a prefix of it, and no excluded product that is.

        The rate engine applies the same rule in SQL (`agreements.engine.queries`);
        tests/test_rule_mirrors.py holds the two to the same answers.
        """
        prefixes = hs_prefixes(code)
        scope = Measure.products.through.objects.filter(measure_id=OuterRef("pk"))
        excluded = Measure.excluded_products.through.objects.filter(
            measure_id=OuterRef("pk"), product_id__in=prefixes
        )
        return self.filter(
            ~Exists(scope) | Exists(scope.filter(product_id__in=prefixes)), ~Exists(excluded)
        )


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
        ]
        indexes = [
            models.Index(fields=["importer", "origin"], name="measure_importer_origin_idx"),
            models.Index(fields=["program"], name="measure_program_idx"),
        ]

    def __str__(self) -> str:
        return self.title


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
        help_text="Ad valorem percentage, e.g. 145.00.",
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

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": "valid_to must be after valid_from."})
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

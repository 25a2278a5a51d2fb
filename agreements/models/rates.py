"""A measure's rates: its dated periods, each an ad valorem percentage and an optional
specific part, in force, announced or suspended (agreements.models.measures holds the
measure, whose cycle rule each counted period is checked against)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from agreements.models.base import TimeStampedModel
from agreements.models.choices import RateStatus
from agreements.models.yields import YieldCycle
from agreements.validators import CURRENCY_REGEX, validate_currency

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
        "Measure", on_delete=models.CASCADE, related_name="rates", help_text="The measure."
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
        except ObjectDoesNotExist:
            return None
        return measure.yield_cycle(periods=((self.valid_from, self.valid_to),))

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

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from agreements.models.agreements import Agreement
from agreements.models.base import TimeStampedModel
from agreements.models.choices import CommitmentKind
from agreements.models.economies import Economy
from agreements.models.sources import Source
from agreements.validators import CURRENCY_REGEX, validate_currency


class Commitment(TimeStampedModel):
    """A pledge one economy made to another: an investment, a purchase, market access, ...

    Money goes in `amount` + `currency`; physical quantities (tonnes of soybeans, litres of
    ethanol, aircraft) in `quantity` + `unit`.
    """

    slug = models.SlugField(max_length=120, unique=True, help_text="Stable identifier.")
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
        help_text="The agreement the pledge belongs to.",
    )
    pledger = models.ForeignKey(
        Economy,
        on_delete=models.PROTECT,
        related_name="pledges_made",
        help_text="Who pledged.",
    )
    beneficiary = models.ForeignKey(
        Economy,
        on_delete=models.PROTECT,
        related_name="pledges_received",
        help_text="To whom.",
    )
    kind = models.CharField(
        max_length=20, choices=CommitmentKind.choices, help_text="What sort of pledge it is."
    )
    description = models.TextField(help_text="The pledge as the sources state it.")
    amount = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Money pledged, in `currency` units (e.g. 550000000000.00 for $550bn).",
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text="ISO 4217 code of `amount`; empty when there is no amount.",
    )
    quantity = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Physical quantity pledged, in `unit`.",
    )
    unit = models.CharField(
        max_length=40, blank=True, help_text="Unit of `quantity`, e.g. 'tonnes', 'aircraft'."
    )
    announced_on = models.DateField(null=True, blank=True, help_text="Day the pledge was made.")
    due_by = models.DateField(
        null=True, blank=True, help_text="Deadline for the pledge, if one was set."
    )
    note = models.TextField(
        blank=True, help_text="Caveats, e.g. the parties describe it differently."
    )
    sources = models.ManyToManyField(
        Source, related_name="commitments", help_text="Sources for this pledge."
    )

    class Meta:
        ordering = ["announced_on", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(pledger=F("beneficiary")),
                name="commitment_not_to_self",
                violation_error_message="The pledger and the beneficiary must differ.",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="commitment_amount_non_negative",
                violation_error_message="amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=0),
                name="commitment_quantity_non_negative",
                violation_error_message="quantity cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True, currency="")
                | Q(amount__isnull=False, currency__regex=CURRENCY_REGEX),
                name="commitment_currency_iff_amount",
                violation_error_message=(
                    "Give a currency (ISO 4217) with an amount, and none without."
                ),
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True, unit="")
                | Q(quantity__isnull=False) & ~Q(unit=""),
                name="commitment_unit_iff_quantity",
                violation_error_message="Give a unit with a quantity, and none without.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pledger_id} → {self.beneficiary_id}: {self.description[:60]}"

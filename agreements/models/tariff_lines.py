from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from agreements.models.base import TimeStampedModel
from agreements.models.economies import Economy
from agreements.models.sources import Source

TARIFF_LINE_CODE_REGEX = r"^[0-9]{8}([0-9]{2})?$"


class TariffLine(TimeStampedModel):
    """One line of an importer's national tariff in one edition (the US HTS, the UK and EU
    commodity codes): digits 7 to 10 of a code mean something only with their importer.

    `description` is the full description: the line's own text preceded by the texts of the
    rows it is indented under, as the schedule prints them ("Live horses, ...: Horses:
    Purebred breeding animals: Males"). The HTS repeats "Other" thousands of times; the own
    text alone would not say what a line covers, and search must find a line by its parents'
    words. `parent_code` names the row above it.
    """

    importer = models.ForeignKey(
        Economy,
        on_delete=models.PROTECT,
        related_name="tariff_lines",
        help_text="The economy whose tariff this line belongs to.",
    )
    code = models.CharField(
        max_length=10, help_text="The line's code, digits only: 8 or 10 digits."
    )
    description = models.TextField(
        help_text="Full description: the texts of the rows it is indented under, then its own."
    )
    parent_code = models.CharField(
        max_length=10,
        blank=True,
        help_text="The line or HS code the schedule prints this line under.",
    )
    indent = models.PositiveSmallIntegerField(
        default=0, help_text="Indentation level in the schedule (0 for a heading)."
    )
    unit = models.CharField(
        max_length=100, blank=True, help_text="Units of quantity as published, e.g. 'No., kg'."
    )
    general = models.TextField(
        blank=True, help_text="The general (MFN) duty as published, e.g. '4.4¢/kg'."
    )
    special = models.TextField(
        blank=True,
        help_text="The preferential duties as published, with their program indicators, e.g. "
        "'Free (A+,AU,BH,...)'.",
    )
    column2 = models.TextField(
        blank=True, help_text="The Column 2 duty as published (US: CU, KP, RU, BY)."
    )
    valid_from = models.DateField(help_text="First day of the edition's period.")
    valid_to = models.DateField(
        null=True, blank=True, help_text="First day it no longer applies; empty: open-ended."
    )
    edition = models.CharField(
        max_length=120,
        help_text="The edition the line was read from, e.g. 'HTS 2026 Basic Edition'.",
    )
    note = models.TextField(
        blank=True, help_text="Where in the edition's file the line was read, and caveats."
    )
    sources = models.ManyToManyField(
        Source, related_name="tariff_lines", help_text="The edition this line was read from."
    )

    class Meta:
        ordering = ["importer", "code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["importer", "code", "valid_from"],
                name="tariff_line_unique_importer_code_start",
                violation_error_message="The importer already has this line from that date.",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=TARIFF_LINE_CODE_REGEX),
                name="tariff_line_code_format",
                violation_error_message="A tariff line's code has 8 or 10 digits.",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="tariff_line_valid_to_after_valid_from",
                violation_error_message="valid_to must be after valid_from.",
            ),
        ]
        indexes = [models.Index(fields=["importer", "valid_from"], name="tariff_line_edition_idx")]

    def __str__(self) -> str:
        return f"{self.importer_id} {self.code} ({self.edition})"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.code and not (self.code.isdigit() and len(self.code) in (8, 10)):
            errors["code"] = "A tariff line's code has 8 or 10 digits."
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            errors["valid_to"] = "valid_to must be after valid_from."
        if errors:
            raise ValidationError(errors)

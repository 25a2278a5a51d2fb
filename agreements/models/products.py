from __future__ import annotations

from django.db import models
from django.db.models import Q

from agreements.models.base import TimeStampedModel
from agreements.models.choices import ProductLevel
from agreements.validators import validate_hs_code

LEVEL_BY_LENGTH = {2: ProductLevel.CHAPTER, 4: ProductLevel.HEADING, 6: ProductLevel.SUBHEADING}


def level_for_code(code: str) -> ProductLevel:
    return LEVEL_BY_LENGTH.get(len(code), ProductLevel.NATIONAL)


class Product(TimeStampedModel):
    """One line of the Harmonized System: a chapter, heading, subheading or national line."""

    code = models.CharField(
        primary_key=True,
        max_length=10,
        validators=[validate_hs_code],
        help_text="HS code, digits only: 2 (chapter), 4 (heading), 6 (subheading) or 7-10 "
        "(national line).",
    )
    level = models.CharField(
        max_length=10,
        choices=ProductLevel.choices,
        help_text="Level in the nomenclature; follows from the number of digits.",
    )
    description = models.TextField(help_text="Description of the goods the line covers.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The next shorter line this one falls under; empty for a chapter.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level=ProductLevel.CHAPTER, code__regex=r"^[0-9]{2}$")
                    | Q(level=ProductLevel.HEADING, code__regex=r"^[0-9]{4}$")
                    | Q(level=ProductLevel.SUBHEADING, code__regex=r"^[0-9]{6}$")
                    | Q(level=ProductLevel.NATIONAL, code__regex=r"^[0-9]{7,10}$")
                ),
                name="product_code_matches_level",
                violation_error_message=(
                    "The code must have 2 digits for a chapter, 4 for a heading, "
                    "6 for a subheading and 7 to 10 for a national line."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description[:60]}"

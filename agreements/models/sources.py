from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from agreements.models.base import TimeStampedModel


class Source(TimeStampedModel):
    """A document a fact was taken from: an official text, a notice or a press report."""

    title = models.CharField(max_length=500, help_text="Title of the document or article.")
    url = models.URLField(
        max_length=1000,
        blank=True,
        help_text="Where the document can be read. Unique; empty for a file cited by `locator`.",
    )
    locator = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where an official file sits in the project's data, with the line where it "
        "matters, e.g. 'usitc/hts_2026_basic_edition.csv line 12345'. Unique when set.",
    )
    publisher = models.CharField(
        max_length=200, help_text="Who published it (agency, outlet or site)."
    )
    published_on = models.DateField(
        null=True, blank=True, help_text="Publication date, when the document gives one."
    )
    note = models.TextField(
        blank=True, help_text="What this source supports, and any caveat on its reliability."
    )

    class Meta:
        ordering = ["publisher", "title"]
        constraints = [
            # Conditional, so that any number of sources may cite a file instead of a page.
            models.UniqueConstraint(
                fields=["url"],
                condition=~Q(url=""),
                name="source_unique_url",
                violation_error_message="A source with this url already exists.",
            ),
            models.UniqueConstraint(
                fields=["locator"],
                condition=~Q(locator=""),
                name="source_unique_locator",
                violation_error_message="A source with this locator already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(locator=""),
                name="source_url_or_locator",
                violation_error_message="A source needs a url or a locator.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"

    def clean(self) -> None:
        super().clean()
        if not self.url and not self.locator:
            raise ValidationError({"url": "A source needs a url or a locator."})

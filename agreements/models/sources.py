from django.db import models

from agreements.models.base import TimeStampedModel


class Source(TimeStampedModel):
    """A document a fact was taken from: an official text, a notice or a press report."""

    title = models.CharField(max_length=500, help_text="Title of the document or article.")
    url = models.URLField(
        max_length=1000, unique=True, help_text="Where the document can be read. Unique."
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

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"

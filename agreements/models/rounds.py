from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from agreements.models.agreements import Agreement
from agreements.models.base import TimeStampedModel
from agreements.models.choices import RoundStatus
from agreements.models.economies import Economy
from agreements.models.sources import Source


class NegotiationRound(TimeStampedModel):
    """One meeting of negotiators (or leaders): where, when, who, and what came out of it."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rounds",
        help_text="The agreement the round negotiated or extended, if any.",
    )
    title = models.CharField(max_length=300, help_text="Short name, e.g. 'Geneva talks'.")
    city = models.CharField(max_length=120, help_text="City where the round was held.")
    venue = models.CharField(
        max_length=300, blank=True, help_text="Building or site, where the sources name one."
    )
    venue_country = models.ForeignKey(
        Economy,
        on_delete=models.PROTECT,
        related_name="hosted_rounds",
        help_text="Country where the round was held.",
    )
    start_date = models.DateField(help_text="First day of the round.")
    end_date = models.DateField(help_text="Last day of the round (inclusive).")
    status = models.CharField(
        max_length=10,
        choices=RoundStatus.choices,
        default=RoundStatus.HELD,
        help_text="Whether the round is scheduled, was held, or was cancelled.",
    )
    parties = models.ManyToManyField(
        Economy, related_name="rounds", help_text="The economies that negotiated."
    )
    outcome = models.TextField(blank=True, help_text="What came out of the round.")
    note = models.TextField(blank=True, help_text="Caveats and disagreements between sources.")
    sources = models.ManyToManyField(
        Source, related_name="rounds", help_text="Sources for this round."
    )

    class Meta:
        ordering = ["start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="round_ends_not_before_start",
                violation_error_message="end_date cannot be before start_date.",
            ),
            models.UniqueConstraint(
                fields=["title", "start_date"], name="round_unique_title_start"
            ),
        ]
        indexes = [models.Index(fields=["city", "start_date"], name="round_city_start_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.city}, {self.start_date})"


class Delegate(TimeStampedModel):
    """An official who took part in a round, with the title they held then."""

    round = models.ForeignKey(
        NegotiationRound,
        on_delete=models.CASCADE,
        related_name="delegates",
        help_text="The round attended.",
    )
    name = models.CharField(max_length=200, help_text="Full name, e.g. 'Scott Bessent'.")
    title = models.CharField(
        max_length=300,
        blank=True,
        help_text="Office held at the time, e.g. 'Secretary of the Treasury'; empty when the "
        "sources do not give it.",
    )
    economy = models.ForeignKey(
        Economy,
        on_delete=models.PROTECT,
        related_name="delegates",
        help_text="The economy the official represented.",
    )
    is_lead = models.BooleanField(default=False, help_text="Whether the official led the side.")
    note = models.TextField(blank=True, help_text="Caveats, e.g. presence only partly sourced.")

    class Meta:
        ordering = ["round", "economy", "-is_lead", "name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="delegate_unique_per_round"),
        ]
        indexes = [models.Index(fields=["name"], name="delegate_name_idx")]

    def __str__(self) -> str:
        return f"{self.name}, {self.title}"

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from agreements.models.base import TimeStampedModel
from agreements.models.choices import EconomyKind
from agreements.validators import ECONOMY_CODE_REGEX, validate_economy_code


class Economy(TimeStampedModel):
    """A customs territory that levies or faces duties: an ISO 3166-1 country or a bloc (EU)."""

    code = models.CharField(
        primary_key=True,
        max_length=2,
        validators=[validate_economy_code],
        help_text="ISO 3166-1 alpha-2 code, or EU for the European Union. Upper case.",
    )
    name = models.CharField(max_length=200, help_text="Common English name.")
    kind = models.CharField(
        max_length=10,
        choices=EconomyKind.choices,
        default=EconomyKind.COUNTRY,
        help_text="`country` for an ISO 3166-1 country, `bloc` for a customs union such as the EU.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "economies"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=ECONOMY_CODE_REGEX),
                name="economy_code_format",
                violation_error_message="An economy code is two upper-case letters.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BlocMembershipQuerySet(models.QuerySet["BlocMembership"]):
    def on(self, day: dt.date) -> BlocMembershipQuerySet:
        """Memberships in force on `day`: a half-open period, [joined_on, left_on).

        The rate engine applies the same rule in Python to memberships it has loaded
        (`agreements.engine.rules.Membership.covers`); tests/test_rule_mirrors.py holds the
        two to the same answers.
        """
        return self.filter(Q(left_on__isnull=True) | Q(left_on__gt=day), joined_on__lte=day)


class BlocMembership(TimeStampedModel):
    """One period in which a country belonged to a bloc, e.g. the UK in the EU until 2020-01-31."""

    bloc = models.ForeignKey(
        Economy,
        on_delete=models.CASCADE,
        related_name="memberships",
        limit_choices_to={"kind": EconomyKind.BLOC},
        help_text="The bloc.",
    )
    member = models.ForeignKey(
        Economy,
        on_delete=models.CASCADE,
        related_name="bloc_memberships",
        limit_choices_to={"kind": EconomyKind.COUNTRY},
        help_text="The member state.",
    )
    joined_on = models.DateField(help_text="First day of membership.")
    left_on = models.DateField(
        null=True, blank=True, help_text="First day no longer a member; empty while a member."
    )

    objects = BlocMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["bloc", "member", "joined_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["bloc", "member", "joined_on"], name="membership_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gt=F("joined_on")),
                name="membership_left_after_joined",
                violation_error_message="left_on must be after joined_on.",
            ),
            models.CheckConstraint(
                condition=~Q(bloc=F("member")),
                name="membership_not_self",
                violation_error_message="A bloc cannot be its own member.",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.joined_on is None or self.bloc_id is None or self.member_id is None:
            return
        others = BlocMembership.objects.filter(bloc_id=self.bloc_id, member_id=self.member_id)
        if self.pk is not None:
            others = others.exclude(pk=self.pk)
        others = others.filter(Q(left_on__isnull=True) | Q(left_on__gt=self.joined_on))
        if self.left_on is not None:
            others = others.filter(joined_on__lt=self.left_on)
        collision = others.order_by("joined_on").first()
        if collision is not None:
            raise ValidationError(
                {"joined_on": f"Overlaps the membership {collision} of the same pair."}
            )

    def __str__(self) -> str:
        until = f" until {self.left_on}" if self.left_on else ""
        return f"{self.member_id} in {self.bloc_id} from {self.joined_on}{until}"

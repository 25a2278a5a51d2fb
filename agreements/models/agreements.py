from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from agreements.models.base import TimeStampedModel
from agreements.models.choices import AgreementKind
from agreements.models.economies import Economy
from agreements.models.sources import Source


class AgreementStatus(models.TextChoices):
    """An agreement's status on a date; computed from its dates, never stored."""

    NOT_YET_ANNOUNCED = "not_yet_announced", "Not yet announced"
    ANNOUNCED = "announced", "Announced"
    SIGNED = "signed", "Signed, not yet in force"
    IN_FORCE = "in_force", "In force"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


class AgreementQuerySet(models.QuerySet["Agreement"]):
    def with_parties(self, codes: list[str]) -> AgreementQuerySet:
        """Agreements to which every one of `codes` is a party."""
        queryset = self
        for code in codes:
            queryset = queryset.filter(parties__code=code)
        return queryset.distinct()

    def in_force_on(self, on: dt.date) -> AgreementQuerySet:
        """Agreements in force on `on`, judged on what was known that day."""
        # Keyword unpacking: the django-stubs plugin cannot see annotations made in a method.
        return self.with_status_as_of(on).filter(**{"computed_status": AgreementStatus.IN_FORCE})

    def with_status_as_of(self, on: dt.date) -> AgreementQuerySet:
        """Annotate `computed_expiry` and `computed_status`: SQL twins of the model's methods,
        so lists can filter on a computed status (tests check the two agree)."""
        latest_extension = (
            Extension.objects.filter(agreement=OuterRef("pk"), decided_on__lte=on)
            .order_by("-decided_on", "-pk")
            .values("expires_on")[:1]
        )
        return (
            self.alias(first_known_on=Coalesce("announced_on", "signed_on", "effective_on"))
            .annotate(computed_expiry=Coalesce(Subquery(latest_extension), F("expires_on")))
            .annotate(
                computed_status=Case(
                    When(
                        first_known_on__isnull=True, then=Value(AgreementStatus.NOT_YET_ANNOUNCED)
                    ),
                    When(first_known_on__gt=on, then=Value(AgreementStatus.NOT_YET_ANNOUNCED)),
                    When(terminated_on__lte=on, then=Value(AgreementStatus.TERMINATED)),
                    When(computed_expiry__lte=on, then=Value(AgreementStatus.EXPIRED)),
                    When(effective_on__lte=on, then=Value(AgreementStatus.IN_FORCE)),
                    When(signed_on__lte=on, then=Value(AgreementStatus.SIGNED)),
                    default=Value(AgreementStatus.ANNOUNCED),
                    output_field=models.CharField(),
                )
            )
        )


class Agreement(TimeStampedModel):
    """A deal, truce, framework or arrangement between economies, with its dated life cycle.

    `expires_on` is the expiry agreed at the start; each later change of expiry is an
    Extension, so the expiry known on any date can be recomputed.
    """

    slug = models.SlugField(
        max_length=120, unique=True, help_text="Stable identifier used in URLs, e.g. us-cn-geneva."
    )
    title = models.CharField(max_length=300, help_text="Official or commonly used title.")
    kind = models.CharField(
        max_length=20, choices=AgreementKind.choices, help_text="What sort of agreement it is."
    )
    parties = models.ManyToManyField(
        Economy, related_name="agreements", help_text="The economies that are party to it."
    )
    announced_on = models.DateField(
        null=True, blank=True, help_text="Day it was first announced or concluded."
    )
    signed_on = models.DateField(
        null=True, blank=True, help_text="Day its text was signed or issued, if it was."
    )
    effective_on = models.DateField(null=True, blank=True, help_text="Day it took effect.")
    expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="Expiry as originally agreed (first day no longer in force); later changes "
        "are extensions.",
    )
    terminated_on = models.DateField(
        null=True, blank=True, help_text="Day it was terminated early, if it was."
    )
    binding = models.BooleanField(
        null=True,
        blank=True,
        help_text="Whether it is legally binding; empty when the sources do not say.",
    )
    summary = models.TextField(help_text="What it provides, in a few sentences.")
    note = models.TextField(
        blank=True, help_text="Caveats: inferred dates, disputed figures, sources that disagree."
    )
    sources = models.ManyToManyField(
        Source, related_name="agreements", help_text="Sources for the facts of this record."
    )

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["announced_on", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_on__isnull=True)
                | Q(announced_on__isnull=True)
                | Q(signed_on__gte=F("announced_on")),
                name="agreement_signed_not_before_announced",
                violation_error_message="signed_on cannot be before announced_on.",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(expires_on__gt=F("effective_on")),
                name="agreement_expires_after_effective",
                violation_error_message="expires_on must be after effective_on.",
            ),
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True)
                | Q(announced_on__isnull=True)
                | Q(terminated_on__gte=F("announced_on")),
                name="agreement_terminated_not_before_announced",
                violation_error_message="terminated_on cannot be before announced_on.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def expiry_as_of(self, as_of: dt.date) -> dt.date | None:
        """The expiry known on `as_of`: the latest extension decided by then, else the original.

        Iterates `self.extensions.all()` so a prefetched queryset costs no query.
        """
        decided = [ext for ext in self.extensions.all() if ext.decided_on <= as_of]
        if not decided:
            return self.expires_on
        return max(decided, key=lambda ext: (ext.decided_on, ext.pk or 0)).expires_on

    def status_as_of(self, as_of: dt.date) -> AgreementStatus:
        first_known = self.announced_on or self.signed_on or self.effective_on
        if first_known is None or as_of < first_known:
            return AgreementStatus.NOT_YET_ANNOUNCED
        if self.terminated_on is not None and as_of >= self.terminated_on:
            return AgreementStatus.TERMINATED
        expiry = self.expiry_as_of(as_of)
        if expiry is not None and as_of >= expiry:
            return AgreementStatus.EXPIRED
        if self.effective_on is not None and as_of >= self.effective_on:
            return AgreementStatus.IN_FORCE
        if self.signed_on is not None and as_of >= self.signed_on:
            return AgreementStatus.SIGNED
        return AgreementStatus.ANNOUNCED

    def expiry_replaced_by(self, extension: Extension) -> dt.date | None:
        """The expiry `extension` replaced: the one set by the extension decided before it,
        else the original. Reads `self.extensions.all()`, so a prefetch costs no query."""
        key = (extension.decided_on, extension.pk or 0)
        earlier = [ext for ext in self.extensions.all() if (ext.decided_on, ext.pk or 0) < key]
        if not earlier:
            return self.expires_on
        return max(earlier, key=lambda ext: (ext.decided_on, ext.pk or 0)).expires_on

    def timeline(self) -> list[AgreementEvent]:
        """The dated events in order: announcement, rounds, signature, entry into force, each
        extension, the expiry as finally known, termination (events on one day in that
        order)."""
        events: list[tuple[dt.date, int, str, str]] = []

        def add(day: dt.date | None, order: int, kind: str, title: str) -> None:
            if day is not None:
                events.append((day, order, kind, title))

        add(self.announced_on, 0, "announced", f"{self.title} announced")
        for round_ in self.rounds.order_by("start_date"):
            add(round_.start_date, 1, "round", f"{round_.title} ({round_.city})")
        add(self.signed_on, 2, "signed", "Signed or issued")
        add(self.effective_on, 3, "entry_into_force", "Entered into force")
        for extension in self.extensions.all():
            add(
                extension.decided_on,
                4,
                "extension",
                f"Extended to {extension.expires_on} ({extension.instrument})",
            )
        # The expiry as finally known: the latest decision, even one that shortened it.
        expiry = self.expiry_as_of(dt.date.max)
        if expiry is not None and (self.terminated_on is None or expiry < self.terminated_on):
            add(expiry, 5, "expiry", "Expires (as last extended)")
        add(self.terminated_on, 6, "termination", "Terminated")
        events.sort(key=lambda event: (event[0], event[1]))
        return [AgreementEvent(date=day, kind=kind, title=title) for day, _, kind, title in events]


@dataclass(frozen=True)
class AgreementEvent:
    """One dated event of an agreement's timeline."""

    date: dt.date
    kind: str
    title: str


class Extension(TimeStampedModel):
    """One change of an agreement's expiry: when it was decided, to what date, by which act."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="extensions",
        help_text="The agreement whose expiry changed.",
    )
    decided_on = models.DateField(help_text="Day the change was decided (e.g. the order signed).")
    expires_on = models.DateField(help_text="The new expiry: first day no longer in force.")
    instrument = models.CharField(
        max_length=300, help_text="The act that made the change, e.g. EO 14334."
    )
    note = models.TextField(blank=True, help_text="Context and caveats.")
    sources = models.ManyToManyField(
        Source, related_name="extensions", help_text="Sources for this change."
    )

    class Meta:
        ordering = ["agreement", "decided_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "decided_on"], name="extension_one_per_agreement_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} extended to {self.expires_on} on {self.decided_on}"

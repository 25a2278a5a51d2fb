"""Tariff measures: who levies a duty on whom, on which products, under which legal basis,
and the cycle rule of `yields_to` that spans an importer's measures and their periods
(the periods themselves: agreements.models.rates)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Upper

from agreements.models.agreements import Agreement
from agreements.models.base import TimeStampedModel
from agreements.models.choices import LegalBasis, MeasureBasis, MeasureKind
from agreements.models.economies import Economy
from agreements.models.products import Product
from agreements.models.rates import COUNTED_STATUSES, Rate
from agreements.models.sources import Source
from agreements.models.yields import Period, YieldCycle, Yielding, find_cycle, yieldings_from
from agreements.validators import SLUG_REGEX, hs_prefixes

# A program indicator as the importer's tariff prints it in its Special column: "S", "S+",
# "KR", "A*". Upper case, so a claim matches whatever case a client typed it in.
CLAIM_REGEX = r"^[A-Z][A-Z0-9]{0,4}[+*]?$"
# As a client may type one (API.md: case-insensitive), for the API's inputs. Anchored with
# \Z: DRF's RegexField searches, and unanchored it took `0S` for a claim.
CLAIM_INPUT_REGEX = r"^[A-Za-z][A-Za-z0-9]{0,4}[+*]?\Z"
_CLAIM = re.compile(CLAIM_REGEX)
_SLUG = re.compile(SLUG_REGEX)


def normalize_claim(value: str) -> str:
    return value.strip().upper()


def _list_errors(value: object, pattern: re.Pattern[str], what: str) -> str | None:
    if not isinstance(value, list):
        return f"A list of {what}s."
    bad = [item for item in value if not isinstance(item, str) or not pattern.match(item)]
    if bad:
        return f"Not a valid {what}: {', '.join(map(str, bad))}."
    if len(set(value)) != len(value):
        return f"Each {what} once."
    return None


class MeasureQuerySet(models.QuerySet["Measure"]):
    def covering(self, code: str) -> MeasureQuerySet:
        """Measures whose product scope covers HS `code`: no products (all goods) or one that
        is a prefix of it, and no excluded product that is.

        The rate engine applies the same rule in SQL (`agreements.engine.queries`);
        tests/test_rule_mirrors.py holds the two to the same answers.
        """
        prefixes = hs_prefixes(code)
        scope = Measure.products.through.objects.filter(
            measure_id=OuterRef("pk"), product_id__in=prefixes
        )
        excluded = Measure.excluded_products.through.objects.filter(
            measure_id=OuterRef("pk"), product_id__in=prefixes
        )
        return self.filter(Q(covers_all_products=True) | Exists(scope), ~Exists(excluded))


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
    # Derived, and kept by the database: true while `products` is empty. The rate engine
    # finds a code's candidates from the products index plus these few all-goods measures,
    # instead of asking each of the importer's ~15,000 line measures whether it has products.
    # Triggers (migration 0009) set it on every write to the measure or its products, raw SQL
    # included, so a stale value an instance carries cannot be saved.
    covers_all_products = models.BooleanField(
        default=True,
        editable=False,
        help_text="Derived: true when the measure names no products (it covers all goods).",
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
    claim = models.CharField(
        max_length=6,
        blank=True,
        help_text="The preference a shipment must claim for the measure to apply, as the "
        "importer's Special column prints it (e.g. KR, S+); empty: applies without a claim.",
    )
    waived_by = models.JSONField(
        default=list,
        blank=True,
        help_text='Claims that switch the measure off, e.g. ["S", "S+"] for goods '
        "qualifying under USMCA.",
    )
    yields_to = models.JSONField(
        default=list,
        blank=True,
        help_text="Programs this measure gives way to: it does not apply where a measure of "
        "one of them applies to the same shipment.",
    )
    yields_content_to = models.JSONField(
        default=list,
        blank=True,
        help_text="Programs this measure gives way to on their content only: where a "
        "`content`-basis measure of one of them applies to the same shipment, this measure is "
        "charged on the value less the content value.",
    )
    basis = models.CharField(
        max_length=10,
        choices=MeasureBasis.choices,
        default=MeasureBasis.VALUE,
        help_text="`value`: the duty is on the customs value; `content`: on the value of one "
        "content only (the steel in a steel derivative).",
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
            models.CheckConstraint(
                condition=Q(claim="") | Q(claim__regex=CLAIM_REGEX),
                name="measure_claim_format",
                violation_error_message=(
                    "A claim is a program indicator in upper case, e.g. KR, S+ or A*."
                ),
            ),
            # Redundant with the format on a case-sensitive regex engine; kept because SQLite's
            # REGEXP and some collations are not, and lower case must never be stored.
            models.CheckConstraint(
                condition=Q(claim=Upper("claim")),
                name="measure_claim_upper_case",
                violation_error_message="A claim is stored in upper case.",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=MeasureBasis.values),
                name="measure_basis_valid",
                violation_error_message="basis is value or content.",
            ),
        ]
        indexes = [
            models.Index(fields=["importer", "origin"], name="measure_importer_origin_idx"),
            models.Index(
                fields=["importer"],
                condition=Q(covers_all_products=True),
                name="measure_all_goods_idx",
            ),
            models.Index(fields=["program"], name="measure_program_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.claim = normalize_claim(self.claim or "")
        if isinstance(self.waived_by, list):
            self.waived_by = [
                normalize_claim(c) if isinstance(c, str) else c for c in self.waived_by
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        self.claim = normalize_claim(self.claim or "")
        if self.claim and not _CLAIM.match(self.claim):
            errors["claim"] = "A claim is a program indicator in upper case, e.g. KR, S+ or A*."
        if isinstance(self.waived_by, list):
            self.waived_by = [
                normalize_claim(c) if isinstance(c, str) else c for c in self.waived_by
            ]
        problem = _list_errors(self.waived_by, _CLAIM, "claim")
        if problem:
            errors["waived_by"] = problem
        problem = _list_errors(self.yields_to, _SLUG, "program slug")
        if problem:
            errors["yields_to"] = problem
        elif self.program and self.program in self.yields_to:
            errors["yields_to"] = "A measure cannot yield to its own program."
        problem = _list_errors(self.yields_content_to, _SLUG, "program slug")
        if problem:
            errors["yields_content_to"] = problem
        elif self.program and self.program in self.yields_content_to:
            errors["yields_content_to"] = "A measure cannot yield to its own program."
        elif isinstance(self.yields_to, list) and set(self.yields_to) & set(self.yields_content_to):
            # Yielding entirely already covers the content: naming a program in both lists
            # would leave the reader to guess which one the engine follows.
            errors["yields_content_to"] = (
                "A program the measure yields to entirely (yields_to) is not also listed here."
            )
        elif self.yields_content_to and self.kind == MeasureKind.BASE:
            errors["yields_content_to"] = "A base rate is charged on the whole value."
        elif self.yields_content_to and self.basis == MeasureBasis.CONTENT:
            errors["yields_content_to"] = "A content-basis measure is charged on its content."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Any = None) -> None:
        # The cycle rule spans rows, as a unique constraint does: checked with the
        # constraints, which the API's validation and the admin's forms both run.
        super().validate_constraints(exclude=exclude)
        if not {"importer", "program", "yields_to"} & set(exclude or ()):
            self.validate_yields()

    def validate_yields(self) -> None:
        """Refuse `yields_to` that would close a cycle of programs on a day this measure
        has a period (agreements.models.yields)."""
        cycle = self.yield_cycle()
        if cycle is not None:
            # No code: a form would replace the message of a code its field knows.
            raise ValidationError({"yields_to": str(cycle)})

    def yield_cycle(self, periods: tuple[Period, ...] | None = None) -> YieldCycle | None:
        """The cycle this measure's `yields_to` would close, as it stands in memory, on the
        days of `periods` (a period being written, Rate.yield_cycle), else of its stored
        counted periods. A measure with no period yet closes none: each period written
        later is checked."""
        if not self.importer_id or not _is_slug_list(self.yields_to):
            return None
        if periods is None and self.pk is None:
            return None  # No stored periods; a new measure's are checked as they are written.
        lock_yields(self.importer_id)
        if periods is None:
            periods = tuple(
                Rate.objects.filter(measure_id=self.pk, status__in=COUNTED_STATUSES).values_list(
                    "valid_from", "valid_to"
                )
            )
        if not periods:
            return None
        through = Yielding(self.slug, self.program, frozenset(self.yields_to), periods)
        return find_cycle(stored_yieldings(self.importer_id, without=self.pk), through=through)


def _is_slug_list(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and _SLUG.match(item) for item in value)
    )


def lock_yields(importer_id: str) -> None:
    """Inside a transaction, lock the importer's row until it ends, so that two writes
    cannot each pass the cycle check without seeing the other (a cycle spans rows, so no
    database constraint can refuse it). The lock is taken before the graph is read; it
    does not block reads, nor writes that only point at the importer (NO KEY UPDATE).

    Outside a transaction there is no write to hold it for: the services
    (`measure_save`, `rate_save`, `measures_sync`) check again inside theirs. SQLite has no
    row locks; its IMMEDIATE transactions serialize writers instead.
    """
    if transaction.get_connection().in_atomic_block:
        locked = Economy.objects.select_for_update(no_key=True).filter(pk=importer_id)
        list(locked.values_list("pk"))


def stored_yieldings(
    importer_id: str, *, without: int | None = None, using: str | None = None
) -> list[Yielding]:
    """The importer's stored measures that yield to a program, with their counted periods;
    `without` leaves one measure out (the one being written, checked as it stands)."""
    measures = Measure.objects.using(using).filter(importer_id=importer_id).exclude(yields_to=[])
    if without is not None:
        measures = measures.exclude(pk=without)
    rows = list(measures.values_list("pk", "slug", "program", "yields_to"))
    periods = (
        Rate.objects.using(using)
        .filter(measure_id__in=[row[0] for row in rows], status__in=COUNTED_STATUSES)
        .values_list("measure_id", "valid_from", "valid_to")
    )
    return list(yieldings_from(rows, periods).values())


def importer_yield_cycle(importer_id: str, *, using: str | None = None) -> YieldCycle | None:
    """The first cycle among the importer's stored measures, for loads that write many
    measures and periods at once and check the result before committing."""
    return find_cycle(stored_yieldings(importer_id, using=using))


def yield_cycles(importers: Iterable[str] | None = None, *, using: str | None = None) -> list[str]:
    """The first cycle of each of `importers` (of every importer with a measure that
    yields, by default: the whole-database import), named, for loads that write many
    measures at once and check the result before committing."""
    if importers is None:
        importers = (
            Measure.objects.using(using)
            .exclude(yields_to=[])
            .order_by("importer_id")
            .values_list("importer_id", flat=True)
            .distinct()
        )
    return [
        f"{importer}: {cycle}"
        for importer in importers
        if (cycle := importer_yield_cycle(importer, using=using)) is not None
    ]

"""Writes that touch several rows, or that need the database's own refusal turned into a
validation error, each in one transaction (HackSoft's services: `<entity>_<action>`, keyword
arguments only).

The API, the admin and the commands call these rather than saving related rows one by one,
so a failure halfway leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from agreements import bulk
from agreements.models import (
    Delegate,
    Economy,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
)
from agreements.models.measures import lock_yields, yield_cycles
from agreements.models.products import level_for_code

# Migration 0002's exclusion constraint (PostgreSQL only): no two in-force periods of one
# measure overlap. Rate.clean() checks the same rule first, on both databases.
RATE_OVERLAP_CONSTRAINT = "rate_in_force_no_overlap"


@transaction.atomic
def round_save(
    *,
    instance: NegotiationRound | None,
    fields: Mapping[str, Any],
    parties: Iterable[Economy] | None = None,
    sources: Iterable[Source] | None = None,
    delegates: Sequence[Mapping[str, Any]] | None = None,
) -> NegotiationRound:
    """Create (`instance=None`) or update a round with its parties, sources and delegates.

    Relations left as None are kept as they are; `delegates` given replaces the whole set,
    so a client sends the round's delegation as it stands, not a diff.
    """
    round_ = instance if instance is not None else NegotiationRound()
    for name, value in fields.items():
        setattr(round_, name, value)
    round_.save()
    if parties is not None:
        round_.parties.set(parties)
    if sources is not None:
        round_.sources.set(sources)
    if delegates is not None:
        round_delegates_replace(round_=round_, delegates=delegates)
    return round_


@transaction.atomic
def round_delegates_replace(
    *, round_: NegotiationRound, delegates: Sequence[Mapping[str, Any]]
) -> list[Delegate]:
    """Make `delegates` (name, title, economy, is_lead, note) the round's whole delegation.

    Bulk creation skips the models' validation, so each delegate's fields are checked here
    (the text rules every record shares, TimeStampedModel.clean_fields) before anything is
    written; a refusal names the delegate by its position.
    """
    rows = [Delegate(round=round_, **dict(d)) for d in delegates]
    errors: list[ValidationError] = []
    for position, delegate in enumerate(rows):
        try:
            # The economy is left to its foreign key: validating it here would cost a query
            # per delegate, and the database refuses an unknown one all the same.
            delegate.clean_fields(exclude={"round", "economy"})
        except ValidationError as error:
            errors.extend(
                ValidationError(f"Delegate {position}: {name}: {message}", code="invalid")
                for name, messages in error.message_dict.items()
                for message in messages
            )
    if errors:
        raise ValidationError({"delegates": errors})
    round_.delegates.all().delete()  # Deletes one by one with signals: each is audited.
    # Through the history library, so the new delegation is audited like any other write.
    created: list[Delegate] = bulk_create_with_history(rows, Delegate)
    return created


@transaction.atomic
def measure_save(
    *, measure: Measure, relations: Mapping[str, Iterable[Any]] | None = None
) -> Measure:
    """Save a measure that passed validation, with its many-to-many relations (each given
    replaces the whole set), in one transaction.

    The cycle check of `yields_to` runs again here, under the lock on the importer's row
    (models.measures.lock_yields): a concurrent write may have committed the other half of
    a cycle since the validation looked.
    """
    measure.validate_yields()
    measure.save()
    for name, values in (relations or {}).items():
        getattr(measure, name).set(values)
    return measure


def rate_save(*, rate: Rate) -> Rate:
    """Save a rate period that passed validation, in its own transaction.

    On PostgreSQL an exclusion constraint refuses overlapping in-force periods even when a
    concurrent write slipped past Rate.clean(); that refusal becomes the same validation
    error clean() gives, naming the period it collides with. The cycle check of its
    measure's `yields_to` runs again under the importer's lock, as for a measure.
    """
    try:
        with transaction.atomic():
            rate.validate_yields()
            rate.save()
    except IntegrityError as error:
        diagnostics = getattr(error.__cause__, "diag", None)
        if getattr(diagnostics, "constraint_name", None) != RATE_OVERLAP_CONSTRAINT:
            raise
        rate.clean()  # Raises, naming the colliding period, now that it is committed.
        # The colliding period was deleted in the meantime: still refuse this write.
        raise ValidationError(
            {"valid_from": "Overlaps another in-force period of the same measure."}
        ) from error
    return rate


# --- bulk loads of sourced data ------------------------------------------------------------

SOURCE_FIELDS = ("title", "url", "locator", "publisher", "published_on", "note")
MEASURE_FIELDS = (
    "title",
    "importer_id",
    "origin_id",
    "legal_basis",
    "instrument",
    "program",
    "kind",
    "claim",
    "waived_by",
    "yields_to",
    "yields_content_to",
    "basis",
    "agreement_id",
    "note",
)
RATE_FIELDS = ("rate", "valid_to", "note")


@dataclass
class SyncCounts:
    """What a load did, per model: created, updated, unchanged, deleted."""

    counts: dict[type[models.Model], Counter[str]] = field(default_factory=dict)

    def add(self, model: type[models.Model], action: str, number: int = 1) -> None:
        self.counts.setdefault(model, Counter())[action] += number


@dataclass(frozen=True)
class SourceInput:
    """A source as a fixture file gives it; `key` is the file's name for it."""

    key: str
    title: str
    url: str
    locator: str
    publisher: str
    published_on: dt.date | None
    note: str


def _identity(source: SourceInput) -> tuple[str, str]:
    return ("url", source.url) if source.url else ("locator", source.locator)


@transaction.atomic
def sources_sync(
    *, sources: Sequence[SourceInput], reason: str, stamp: dt.datetime, counts: SyncCounts
) -> dict[str, int]:
    """Make a Source row hold each of `sources`, matched by url (or locator when it has no
    url); returns the row's id for every key.

    Several keys may name one document (two files citing the same order): the first one
    given defines the row, the others are aliases of it, so the result does not flip
    between runs. Rows no input names are left alone.
    """
    first: dict[tuple[str, str], SourceInput] = {}
    for source in sources:
        first.setdefault(_identity(source), source)
    urls = [ident for kind, ident in first if kind == "url"]
    locators = [ident for kind, ident in first if kind == "locator"]
    stored: dict[tuple[str, str], Source] = {}
    for start in range(0, max(len(urls), len(locators)), bulk.BATCH):
        query = Q(url__in=urls[start : start + bulk.BATCH]) | Q(
            locator__in=locators[start : start + bulk.BATCH]
        )
        for found in Source.objects.filter(query):
            stored[("url", found.url) if found.url else ("locator", found.locator)] = found
    to_create: list[Source] = []
    to_update: list[Source] = []
    for ident, source in first.items():
        values = {name: getattr(source, name) for name in SOURCE_FIELDS}
        row = stored.get(ident)
        if row is None:
            row = Source(**values)
            row.full_clean(validate_unique=False, validate_constraints=False)
            to_create.append(row)
            stored[ident] = row
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.full_clean(validate_unique=False, validate_constraints=False)
            to_update.append(row)
    _bulk_write(Source, to_create, to_update, SOURCE_FIELDS, reason=reason, stamp=stamp)
    counts.add(Source, "created", len(to_create))
    counts.add(Source, "updated", len(to_update))
    counts.add(Source, "unchanged", len(first) - len(to_create) - len(to_update))
    return {source.key: stored[_identity(source)].pk for source in sources}


@transaction.atomic
def products_national_ensure(
    *, descriptions: Mapping[str, str], reason: str, stamp: dt.datetime
) -> int:
    """A Product row for every code of `descriptions` that has none, under the longest code
    already there (a measure's scope points at products, so an 8- or 10-digit line a list
    names needs a row). Existing rows are left as they are: a national code may belong to
    several importers' tariffs, whose own texts live on their tariff lines. Returns how many
    rows were created."""
    existing = set(Product.objects.values_list("code", flat=True))
    missing = sorted(set(descriptions) - existing, key=lambda code: (len(code), code))
    new: list[Product] = []
    for code in missing:
        parent = next((code[:n] for n in range(len(code) - 1, 1, -1) if code[:n] in existing), None)
        product = Product(
            code=code,
            level=level_for_code(code),
            description=descriptions[code],
            parent_id=parent,
        )
        new.append(product)
        existing.add(code)
    _bulk_write(Product, new, [], (), reason=reason, stamp=stamp)
    return len(new)


@dataclass(frozen=True)
class RateInput:
    rate: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    status: str
    note: str


@dataclass(frozen=True)
class MeasureInput:
    """A measure as its data file gives it, with its lists expanded to codes."""

    slug: str
    fields: Mapping[str, Any]  # MEASURE_FIELDS, foreign keys by id
    products: frozenset[str]
    excluded_products: frozenset[str]
    excluded_origins: frozenset[str]
    sources: frozenset[int]
    rates: tuple[RateInput, ...]


@transaction.atomic
def measures_sync(
    *, measures: Sequence[MeasureInput], reason: str, stamp: dt.datetime, counts: SyncCounts
) -> None:
    """Make the measures named by slug in `measures` exactly as given: their fields, their
    scopes (products, exclusions, sources) and their rate periods (periods the input no
    longer has are deleted). Measures not in the input are left alone.

    Written in bulk through the history library, so every change is audited; each measure
    whose scope changed gets a history record with its many-to-many sets, as a save would.
    """
    # Locked first, in one order, so that two loads cannot deadlock on them; the cycle
    # check below then sees every other write to these importers' yields.
    importers = sorted({str(item.fields["importer_id"]) for item in measures})
    for importer in importers:
        lock_yields(importer)
    stored = {m.slug: m for m in Measure.objects.filter(slug__in=[item.slug for item in measures])}
    to_create: list[Measure] = []
    to_update: list[Measure] = []
    errors: dict[str, list[str]] = {}
    for item in measures:
        measure = stored.get(item.slug)
        if measure is None:
            measure = Measure(slug=item.slug, **item.fields)
            to_create.append(measure)
        elif any(getattr(measure, name) != value for name, value in item.fields.items()):
            for name, value in item.fields.items():
                setattr(measure, name, value)
            to_update.append(measure)
        else:
            continue
        try:
            # Foreign keys were resolved by the caller; their existence is the database's.
            measure.clean_fields(exclude=["importer", "origin", "agreement"])
            measure.clean()
        except ValidationError as error:
            errors[item.slug] = [f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()]
    if errors:
        raise ValidationError(
            {"measures": [f"{slug}: {'; '.join(msgs)}" for slug, msgs in errors.items()]}
        )
    _bulk_write(Measure, to_create, to_update, MEASURE_FIELDS, reason=reason, stamp=stamp)
    for measure in to_create:
        stored[measure.slug] = measure
    ids = {slug: measure.pk for slug, measure in stored.items()}

    changed = bulk.set_m2m(Measure, "products", {ids[m.slug]: set(m.products) for m in measures})
    for name in ("excluded_products", "excluded_origins", "sources"):
        changed |= bulk.set_m2m(
            Measure, name, {ids[m.slug]: set(getattr(m, name)) for m in measures}
        )
    created = {m.pk for m in to_create}
    updated = {m.pk for m in to_update}
    scope_only = changed - created - updated
    # A change of scope alone is a change of the measure: one `~` record, as a save's; and
    # every record of this load gets its many-to-many sets, which bulk writes leave out.
    bulk.record_changes(Measure, scope_only, reason=reason, stamp=stamp)
    bulk.snapshot_m2m(Measure, created | updated | scope_only, stamp=stamp)
    counts.add(Measure, "created", len(created))
    counts.add(Measure, "updated", len(updated | scope_only))
    counts.add(Measure, "unchanged", len(measures) - len(created | updated | scope_only))

    _rates_sync(measures, ids, reason=reason, stamp=stamp, counts=counts)

    # Checked on what was written, with the measures this load leaves alone: a cycle may
    # run through both. Raising rolls the whole load back.
    cycles = yield_cycles(importers)
    if cycles:
        raise ValidationError({"measures": cycles})


def _rates_sync(
    measures: Sequence[MeasureInput],
    ids: Mapping[str, int],
    *,
    reason: str,
    stamp: dt.datetime,
    counts: SyncCounts,
) -> None:
    wanted = {
        (ids[m.slug], rate.valid_from, rate.status): rate for m in measures for rate in m.rates
    }
    stored = {
        (r.measure_id, r.valid_from, r.status): r
        for r in Rate.objects.filter(measure_id__in=list(ids.values()))
    }
    stale = [rate for key, rate in stored.items() if key not in wanted]
    for rate in stale:
        # One by one, with signals: each deletion is audited. Rare (a period re-dated).
        rate._change_reason = reason  # type: ignore[attr-defined]
        rate.delete()
    to_create: list[Rate] = []
    to_update: list[Rate] = []
    for (measure_id, valid_from, status), item in wanted.items():
        values = {"rate": item.rate, "valid_to": item.valid_to, "note": item.note}
        row = stored.get((measure_id, valid_from, status))
        if row is None:
            to_create.append(
                Rate(measure_id=measure_id, valid_from=valid_from, status=status, **values)
            )
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            to_update.append(row)
    # Shortened periods first, so that on PostgreSQL the exclusion constraint never sees
    # a new period next to the old, longer version of its neighbour.
    _bulk_write(Rate, [], to_update, RATE_FIELDS, reason=reason, stamp=stamp)
    _bulk_write(Rate, to_create, [], (), reason=reason, stamp=stamp)
    counts.add(Rate, "created", len(to_create))
    counts.add(Rate, "updated", len(to_update))
    counts.add(Rate, "deleted", len(stale))
    counts.add(Rate, "unchanged", len(wanted) - len(to_create) - len(to_update))


@transaction.atomic
def measures_retire(*, slugs: Iterable[str], reason: str) -> list[str]:
    """Delete the measures named (with their rates), each audited; returns the slugs that
    were there. For records a newer, better-sourced data file supersedes."""
    deleted = []
    for measure in Measure.objects.filter(slug__in=list(slugs)).order_by("slug"):
        measure._change_reason = reason  # type: ignore[attr-defined]
        for rate in measure.rates.all():
            rate._change_reason = reason  # type: ignore[attr-defined]
            rate.delete()
        measure.delete()
        deleted.append(measure.slug)
    return deleted


def _bulk_write(
    model: type[models.Model],
    to_create: list[Any],
    to_update: list[Any],
    fields: Iterable[str],
    *,
    reason: str,
    stamp: dt.datetime,
) -> None:
    """Through the audited bulk writes (agreements.bulk): a plain bulk write would
    leave no audit record."""
    bulk.create(to_create, model, reason=reason, stamp=stamp)
    bulk.update(to_update, model, fields, reason=reason, stamp=stamp)

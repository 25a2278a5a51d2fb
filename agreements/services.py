"""Writes that touch several rows, or that need the database's own refusal turned into a
validation error, each in one transaction (HackSoft's services: `<entity>_<action>`, keyword
arguments only).

The API, the admin and the commands call these rather than saving related rows one by one,
so a failure halfway leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history

from agreements.models import Delegate, Economy, NegotiationRound, Rate, Source

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


def rate_save(*, rate: Rate) -> Rate:
    """Save a rate period that passed validation, in its own transaction.

    On PostgreSQL an exclusion constraint refuses overlapping in-force periods even when a
    concurrent write slipped past Rate.clean(); that refusal becomes the same validation
    error clean() gives, naming the period it collides with.
    """
    try:
        with transaction.atomic():
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

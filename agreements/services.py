"""Writes that touch several rows at once, each in one transaction (HackSoft's services).

The API, the admin and the commands call these rather than saving related rows one by one,
so a failure halfway leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from agreements.models import Delegate, Economy, NegotiationRound, Source


@transaction.atomic
def save_round(
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
        replace_delegates(round_=round_, delegates=delegates)
    return round_


@transaction.atomic
def replace_delegates(
    *, round_: NegotiationRound, delegates: Sequence[Mapping[str, Any]]
) -> list[Delegate]:
    """Make `delegates` (name, title, economy, is_lead, note) the round's whole delegation."""
    round_.delegates.all().delete()  # Deletes one by one with signals: each is audited.
    # Through the history library, so the new delegation is audited like any other write.
    created: list[Delegate] = bulk_create_with_history(
        [Delegate(round=round_, **dict(d)) for d in delegates], Delegate
    )
    return created

"""The changes feed: every audited write, across all tracked models, in one time order.

django-simple-history keeps one historical table per model (agreements.models.history).
Clients that sync want one stream instead: "what changed since my last visit". This
module reads the historical tables as that stream, with a stable position so a client can
page through it without missing or repeating a change while others keep writing.

Plain functions, no DRF: the API view formats what this returns. A page costs a fixed number
of queries whatever its size: per tracked model one query for its next rows (each already
carrying the id of the record's previous version) and one for those previous versions, plus
one per versioned many-to-many field.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import OuterRef, Q, Subquery
from simple_history.models import HistoricalRecords

from agreements.models import (
    Agreement,
    BlocMembership,
    Commitment,
    Delegate,
    Economy,
    Extension,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
)
from agreements.models.history import TRACKED, UNTRACKED_FIELDS

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}

# The name each model has in the feed, and the field that identifies a record in the API's
# URLs (agreements by slug, economies and products by code, the rest by id).
FEED_NAMES: dict[type[models.Model], tuple[str, str]] = {
    Agreement: ("agreement", "slug"),
    BlocMembership: ("bloc_membership", "id"),
    Commitment: ("commitment", "id"),
    Delegate: ("delegate", "id"),
    Economy: ("economy", "code"),
    Extension: ("extension", "id"),
    Measure: ("measure", "id"),
    NegotiationRound: ("round", "id"),
    Product: ("product", "code"),
    Rate: ("rate", "id"),
    Source: ("source", "id"),
}
assert set(FEED_NAMES) == set(TRACKED), "every audited model needs a name in the feed"
MODEL_NAMES = sorted(name for name, _ in FEED_NAMES.values())


@dataclass(frozen=True, order=True)
class Position:
    """Where a change sits in the feed: time, then model name, then its history id.

    Timestamps alone are not unique (a bulk write stamps many rows alike); the model name
    and the per-table history id make the order total, so a cursor never skips a change.
    """

    at: dt.datetime
    model: str
    history_id: int


@dataclass(frozen=True)
class Change:
    position: Position
    model: str
    object_key: str
    action: str
    # None when the record's history starts with this change (it predates auditing), so
    # what changed is unknown; [] when a save changed nothing a client would see.
    changed_fields: list[str] | None
    actor: str | None
    reason: str | None


def _history_model(model: type[models.Model]) -> Any:
    return model.history.model  # type: ignore[attr-defined]


def _tracked_field_names(history_model: Any, model: type[models.Model]) -> list[str]:
    history_fields = {f.attname for f in history_model._meta.concrete_fields}
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.attname in history_fields and f.name not in UNTRACKED_FIELDS
    ]


def _after(position: Position | None, name: str, since: dt.datetime | None) -> Q:
    """Rows of model `name` that come strictly after `position` in feed order."""
    query = Q()
    if since is not None:
        query &= Q(history_date__gte=since)
    if position is None:
        return query
    if name < position.model:
        return query & Q(history_date__gt=position.at)
    if name > position.model:
        return query & Q(history_date__gte=position.at)
    return query & (
        Q(history_date__gt=position.at)
        | Q(history_date=position.at, history_id__gt=position.history_id)
    )


def _next_rows(
    model: type[models.Model],
    after: Position | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    limit: int,
) -> list[Any]:
    history = _history_model(model)
    name, _ = FEED_NAMES[model]
    pk = model._meta.pk
    assert pk is not None
    # The version just before each row: the same record, earlier in (date, id) order.
    previous = (
        history.objects.filter(**{pk.attname: OuterRef(pk.attname)})
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return list(
        history.objects.filter(_after(after, name, since))
        .filter(Q() if until is None else Q(history_date__lte=until))
        .select_related("history_user")
        .annotate(previous_id=Subquery(previous))
        .order_by("history_date", "history_id")[:limit]
    )


def _m2m_sets(
    model: type[models.Model], history_ids: set[int]
) -> dict[str, dict[int, frozenset[Any]]]:
    """For each versioned many-to-many field: history id -> the set it held then."""
    result: dict[str, dict[int, frozenset[Any]]] = {}
    if not history_ids:
        return result
    for field in _history_model(model)._history_m2m_fields:
        m2m_history = HistoricalRecords.m2m_models[field]
        target = field.m2m_reverse_field_name()
        sets: dict[int, set[Any]] = defaultdict(set)
        for history_id, value in m2m_history.objects.filter(history_id__in=history_ids).values_list(
            "history_id", f"{target}_id"
        ):
            sets[history_id].add(value)
        result[field.name] = {h: frozenset(sets.get(h, ())) for h in history_ids}
    return result


def _describe(model: type[models.Model], rows: list[Any]) -> Iterator[Change]:
    history = _history_model(model)
    name, key_field = FEED_NAMES[model]
    fields = _tracked_field_names(history, model)
    attnames = {f.name: f.attname for f in model._meta.concrete_fields}
    updated = [row for row in rows if row.history_type == "~" and row.previous_id]
    previous_ids = {row.previous_id for row in updated}
    previous = {p.history_id: p for p in history.objects.filter(history_id__in=previous_ids)}
    m2m = _m2m_sets(model, {row.history_id for row in updated} | previous_ids)
    for row in rows:
        changed: list[str] | None
        if row.history_type == "+":
            changed = fields + sorted(m2m_name for m2m_name in TRACKED[model])
        elif row.history_type == "-":
            changed = []
        elif row.previous_id is None:
            changed = None
        else:
            before = previous[row.previous_id]
            changed = [
                f for f in fields if getattr(row, attnames[f]) != getattr(before, attnames[f])
            ]
            changed += sorted(
                m2m_name
                for m2m_name, sets in m2m.items()
                if sets[row.history_id] != sets[row.previous_id]
            )
        yield Change(
            position=Position(row.history_date, name, row.history_id),
            model=name,
            object_key=str(getattr(row, attnames[key_field])),
            action=ACTIONS[row.history_type],
            changed_fields=changed,
            actor=row.history_user.get_username() if row.history_user else None,
            reason=row.history_change_reason or None,
        )


def changes(
    *,
    since: dt.datetime | None = None,
    after: Position | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
) -> list[Change]:
    """The first `limit` changes at or after `since`, strictly after `after` and at or
    before `until`, in order."""
    candidates: list[tuple[Position, type[models.Model], Any]] = []
    for model, (name, _) in FEED_NAMES.items():
        for row in _next_rows(model, after, since, until, limit):
            candidates.append((Position(row.history_date, name, row.history_id), model, row))
    page = heapq.nsmallest(limit, candidates, key=lambda item: item[0])
    by_model: dict[type[models.Model], list[Any]] = defaultdict(list)
    for _, model, row in page:
        by_model[model].append(row)
    described = {
        change.position: change
        for model, rows in by_model.items()
        for change in _describe(model, rows)
    }
    return [described[position] for position, _, _ in page]


def history_models() -> Iterable[Any]:
    """The historical table of each audited model (for the admin and tests)."""
    return (_history_model(model) for model in TRACKED)

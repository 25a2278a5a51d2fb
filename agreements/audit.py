"""The changes feed: every audited write, across all tracked models, in one time order.

django-simple-history keeps one historical table per model (agreements.models.history).
Clients that sync want one stream instead: "what changed since my last visit". This
module reads the historical tables as that stream, with a stable position so a client can
page through it without missing or repeating a change while others keep writing.

The order is the order in which changes become visible, so a cursor can never pass a change
that has yet to commit, however long its transaction runs. On PostgreSQL: the id of the
writing transaction first (agreements.models.history.FeedOrder), served only below the
oldest transaction still running that could write here (`pg_current_snapshot()`): every
transaction below it has ended, and any that has yet to commit, or to begin, will have an id
at or above it, so behind every cursor. On SQLite the time order is safe, for a reason of
its own: a transaction takes the database's write lock at BEGIN (settings: IMMEDIATE) and
holds it to COMMIT, so no other writer stamps anything in between, and whatever commits
later was stamped later. Only a write outside a transaction stamps its row in Python before
it takes the lock, and waits for it at most the lock timeout (20 s); the feed holds back the
newest CHANGES_FEED_DELAY_SECONDS (30) there, which covers that wait.

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

from django.conf import settings
from django.db import connection, models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
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
    """Where a change sits in the feed: its transaction (0 on SQLite, and for changes
    written before the feed knew transactions), time, then model name, then history id.

    Timestamps alone are not unique (a bulk write stamps many rows alike); the model name
    and the per-table history id make the order total, so a cursor never skips a change.
    """

    txid: int
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
        same_transaction = Q(history_date__gt=position.at)
    elif name > position.model:
        same_transaction = Q(history_date__gte=position.at)
    else:
        same_transaction = Q(history_date__gt=position.at) | Q(
            history_date=position.at, history_id__gt=position.history_id
        )
    return query & (
        Q(feed_txid__gt=position.txid) | (Q(feed_txid=position.txid) & same_transaction)
    )


# The oldest transaction still running that could write to this database: the smallest id
# in progress in one snapshot, leaving out those that pg_stat_activity shows working in
# another database of the server (a long transaction there cannot write here, and must not
# hold this feed back). An id it cannot place (no permission to see it, a prepared
# transaction) is kept: holding the feed back is safe, serving past a writer is not. With
# nothing in progress, the next id to be assigned. pg_stat_activity has 32-bit ids, the
# snapshot 64-bit ones; their low 32 bits identify an active transaction without ambiguity.
HORIZON_SQL = """
    WITH snapshot AS (SELECT pg_current_snapshot() AS s),
    elsewhere AS (
        SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
    )
    SELECT
        coalesce(
            (SELECT min(x::text::bigint) FROM snapshot, pg_snapshot_xip(s) AS x
             WHERE (x::text::bigint & 4294967295) NOT IN (SELECT xid FROM elsewhere)),
            (SELECT pg_snapshot_xmax(s)::text::bigint FROM snapshot)
        ),
        pg_current_xact_id_if_assigned()::text::bigint
"""


def _visible() -> Q:
    """The changes that may be served now: none that a later commit could put behind them
    (see the module's docstring for why each database's rule is enough)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(HORIZON_SQL)
            horizon, own = cursor.fetchone()
        visible = Q(feed_txid__lt=horizon)
        # This transaction's own changes, when it has written any (a command that writes,
        # then reads the feed; a test): they are final as far as its reader can tell.
        return visible | Q(feed_txid=own) if own is not None else visible
    settled = timezone.now() - dt.timedelta(seconds=settings.CHANGES_FEED_DELAY_SECONDS)
    return Q(history_date__lte=settled)


def _next_rows(
    model: type[models.Model],
    after: Position | None,
    since: dt.datetime | None,
    visible: Q,
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
        .filter(visible)
        .select_related("history_user")
        .annotate(previous_id=Subquery(previous))
        .order_by("feed_txid", "history_date", "history_id")[:limit]
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
            position=Position(row.feed_txid, row.history_date, name, row.history_id),
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
    limit: int = 100,
) -> list[Change]:
    """The first `limit` visible changes at or after `since` and strictly after `after`, in
    the order they became visible."""
    visible = _visible()
    candidates: list[tuple[Position, type[models.Model], Any]] = []
    for model, (name, _) in FEED_NAMES.items():
        for row in _next_rows(model, after, since, visible, limit):
            position = Position(row.feed_txid, row.history_date, name, row.history_id)
            candidates.append((position, model, row))
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

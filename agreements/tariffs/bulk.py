"""Bulk writes for loaders of tens of thousands of rows, with the audit history intact.

Audited models (products, measures, rates) are written with django-simple-history's bulk
helpers, which record each row. Those helpers do not record the many-to-many sets the
history snapshots with a record (a measure's products, origins and sources): the library
takes that snapshot from signals that bulk writes do not send. `snapshot_m2m` writes it
for the records a run made, so the history reads as if each record had been saved alone.

Rows that are not audited themselves (tariff lines, many-to-many links, the snapshots) go
in with `insert`: one executemany per table, without building a model instance per row,
which costs more than the database's own work at these sizes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

BATCH = 2000


@contextmanager
def unlogged_queries() -> Iterator[None]:
    """Run without DEBUG's query log: it formats every parameter of every bulk insert (on
    SQLite, with a query per 999 parameters), which takes longer than the inserts."""
    db = connections[DEFAULT_DB_ALIAS]
    if "make_debug_cursor" in vars(db):  # Already inside one.
        yield
        return
    db.make_debug_cursor = db.make_cursor  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        del db.make_debug_cursor


def insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (attribute name -> Python value) into `model`'s table as they are.

    Values are converted by each field as the ORM would; no instance, no signals, no
    history: only for tables that are not audited.
    """
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # The connection itself: the proxy costs per call.
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    assert all(isinstance(f, models.Field) for f in fields), "concrete fields only"
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)  # type: ignore[union-attr, arg-type]
    table = db.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    converters = [_converter(f, db) for f in fields]  # type: ignore[arg-type]
    with db.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(
                sql,
                [
                    [convert(row[name]) for convert, name in zip(converters, names, strict=True)]
                    for row in rows[start : start + BATCH]
                ],
            )


def _converter(field: models.Field[Any, Any], db: Any) -> Any:
    """The field's conversion to a database value, memoised: a column of ids or texts needs
    none, and a column of dates repeats a few values thousands of times."""
    if isinstance(
        field, models.IntegerField | models.ForeignKey | models.CharField | models.TextField
    ):
        return lambda value: value
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value not in memo:
            memo[value] = field.get_db_prep_save(value, db)
        return memo[value]

    return convert


def create(
    objs: list[Any], model: type[models.Model], *, reason: str, stamp: dt.datetime
) -> list[Any]:
    if not objs:
        return []
    created: list[Any] = bulk_create_with_history(
        objs, model, batch_size=BATCH, default_change_reason=reason, default_date=stamp
    )
    return created


def update(
    objs: list[Any],
    model: type[models.Model],
    fields: Iterable[str],
    *,
    reason: str,
    stamp: dt.datetime,
) -> None:
    if objs:
        bulk_update_with_history(
            objs,
            model,
            list(fields),
            batch_size=BATCH,
            default_change_reason=reason,
            default_date=stamp,
        )


def record_changes(
    model: type[models.Model], pks: Iterable[Any], *, reason: str, stamp: dt.datetime
) -> None:
    """A `~` history record for each of `pks` whose only change is a many-to-many set."""
    keys = sorted(pks)
    for start in range(0, len(keys), BATCH):
        objs = list(model._default_manager.filter(pk__in=keys[start : start + BATCH]))
        model.history.bulk_history_create(  # type: ignore[attr-defined]
            objs,
            batch_size=BATCH,
            update=True,
            default_change_reason=reason,
            default_date=stamp,
        )


def _through(model: type[models.Model], field_name: str) -> tuple[Any, str, str]:
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.ManyToManyField)
    through = field.remote_field.through
    return through, field.m2m_field_name(), field.m2m_reverse_field_name()


def set_m2m(model: type[models.Model], field_name: str, wanted: Mapping[Any, set[Any]]) -> set[Any]:
    """Make each object's `field_name` hold exactly `wanted[pk]`; returns the pks changed.

    Only the objects named in `wanted` are touched.
    """
    through, source, target = _through(model, field_name)
    current: dict[Any, dict[Any, int]] = defaultdict(dict)
    keys = list(wanted)
    for start in range(0, len(keys), BATCH):
        rows = through.objects.filter(**{f"{source}_id__in": keys[start : start + BATCH]})
        for row_id, owner, related in rows.values_list("id", f"{source}_id", f"{target}_id"):
            current[owner][related] = row_id
    to_delete: list[int] = []
    to_add: list[dict[str, Any]] = []
    changed: set[Any] = set()
    for owner, related_wanted in wanted.items():
        have = current.get(owner, {})
        gone = [row_id for related, row_id in have.items() if related not in related_wanted]
        new = sorted(related for related in related_wanted if related not in have)
        if gone or new:
            changed.add(owner)
        to_delete.extend(gone)
        to_add.extend({f"{source}_id": owner, f"{target}_id": related} for related in new)
    for start in range(0, len(to_delete), BATCH):
        through.objects.filter(id__in=to_delete[start : start + BATCH]).delete()
    insert(through, to_add)
    return changed


def snapshot_m2m(model: type[models.Model], pks: Iterable[Any], *, stamp: dt.datetime) -> None:
    """Copy the current many-to-many sets of `pks` into their history records stamped
    `stamp` (the records this run made)."""
    history = model.history.model  # type: ignore[attr-defined]
    pk_name = model._meta.pk.attname
    owners = sorted(pks)
    records: dict[Any, int] = {}
    for start in range(0, len(owners), BATCH):
        records.update(
            history.objects.filter(
                history_date=stamp, **{f"{pk_name}__in": owners[start : start + BATCH]}
            )
            .exclude(history_type="-")
            .order_by("history_id")
            .values_list(pk_name, "history_id")
        )
    owners = sorted(records)
    for field in history._history_m2m_fields:
        m2m_history = HistoricalRecords.m2m_models[field]
        through, source, target = _through(model, field.name)
        rows: list[dict[str, Any]] = []
        for start in range(0, len(owners), BATCH):
            chunk = owners[start : start + BATCH]
            for row_id, owner, related in through.objects.filter(
                **{f"{source}_id__in": chunk}
            ).values_list("id", f"{source}_id", f"{target}_id"):
                rows.append(
                    {
                        "history_id": records[owner],
                        "id": row_id,
                        f"{source}_id": owner,
                        f"{target}_id": related,
                    }
                )
        insert(m2m_history, rows)

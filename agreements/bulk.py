"""Bulk writes for loaders of tens of thousands of rows, with the audit history intact.

Audited models (products, measures, rates) are created with `create`, which writes each row
and the `+` history record django-simple-history's `bulk_create_with_history` would write
for it (same fields, change reason, user and date), and changed with the library's
`bulk_update_with_history`. Neither records the many-to-many sets the history snapshots with
a record (a measure's products, origins and sources): the library takes that snapshot from
signals that bulk writes do not send. `snapshot_m2m` writes it for the records a run made,
so the history reads as if each record had been saved alone.

Rows go in with `insert`: no model instance, no signals, no per-value SQL compilation, which
cost more than the database's own work at these sizes (a full seed writes about a million
rows). On SQLite that is one executemany per batch; on PostgreSQL a COPY, which reads rows
as a stream instead of a statement per row.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_update_with_history

BATCH = 2000
# Rows per COPY statement on PostgreSQL: each statement stays far inside the connection's
# statement timeout (settings: DB_STATEMENT_TIMEOUT_MS) on a busy machine.
COPY_BATCH = 50_000


@contextmanager
def loading() -> Iterator[None]:
    """The settings of a load of tens of thousands of rows: no query log (`unlogged_queries`)
    and, on SQLite, a page cache that holds the whole database (`sqlite_cache`). Nothing a
    reader of the data could see, nor the durability of a commit, depends on either."""
    with unlogged_queries(), sqlite_cache():
        yield


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


# The page cache of the connection while it loads, in KiB (SQLite's default is 2 MiB). A
# full seed makes a database of about 150 MB, most of it many-to-many rows and their indexes,
# into which each insert lands at a different place: with the default cache SQLite keeps
# dropping index pages and reading them back, and the seed's inserts took a third longer. A
# cap, not an allocation: memory is taken as pages are read.
SQLITE_CACHE_KIB = 256 * 1024


@contextmanager
def sqlite_cache() -> Iterator[None]:
    """On SQLite, the connection's page cache raised to SQLITE_CACHE_KIB, then put back."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB:d}")
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before):d}")


def insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (attribute name -> Python value) into `model`'s table as they are.

    Values are converted by each field as the ORM would; no instance, no signals, no
    history: for tables that are not audited, and for `create`'s rows and records.
    """
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # The connection itself: the proxy costs per call.
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    assert all(isinstance(f, models.Field) for f in fields), "concrete fields only"
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)  # type: ignore[union-attr, arg-type]
    table = db.ops.quote_name(model._meta.db_table)
    # Rows as tuples in column order, converted only in the columns that need it (dates,
    # decimals, JSON): most columns are ids and texts, passed as they are.
    values = operator.itemgetter(*names)
    converters = [(i, _converter(f, db)) for i, f in enumerate(fields)]  # type: ignore[arg-type]
    converted = [(i, convert) for i, convert in converters if convert is not None]

    def params(batch: Sequence[Mapping[str, Any]]) -> list[Any]:
        if len(names) == 1:
            out = [[values(row)] for row in batch]
        elif not converted:
            return [values(row) for row in batch]
        else:
            out = [list(values(row)) for row in batch]
        for i, convert in converted:
            for item in out:
                item[i] = convert(item[i])
        return out

    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy().
            for start in range(0, len(rows), COPY_BATCH):
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for item in params(rows[start : start + COPY_BATCH]):
                        copy.write_row(item)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, params(rows[start : start + BATCH]))


def _converter(field: models.Field[Any, Any], db: Any) -> Any:
    """The field's conversion to a database value, or None when it needs none (ids, texts).
    Memoised: a column of dates or rates repeats a few values thousands of times; JSON values
    (lists) cannot be memo keys and are converted each time."""
    if isinstance(
        field, models.IntegerField | models.ForeignKey | models.CharField | models.TextField
    ):
        return None
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, db)
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value not in memo:
            memo[value] = field.get_db_prep_save(value, db)
        return memo[value]

    return convert


def create(
    objs: list[Any], model: type[models.Model], *, reason: str, stamp: dt.datetime
) -> list[Any]:
    """Save `objs` (new instances of `model`) and a `+` history record for each, stamped
    `stamp` with the change reason `reason` (an object's own `_change_reason` wins, as in
    the history library); returns them with their primary keys set.

    What `bulk_create_with_history` writes, without its cost: the ORM compiles every value
    of a bulk insert through several calls each, which at 30,000 rate periods and their
    records took longer than the database. Like a bulk create, no `save()` or signal runs:
    callers validate first. Timestamps (`auto_now`, `auto_now_add`) are set as a save would.
    """
    if not objs:
        return []
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    unsaved = sum(obj.pk is None for obj in objs)
    if unsaved not in (0, len(objs)):
        raise ValueError(f"{meta.label}: give every object its primary key, or none")
    # The database numbers the rows (an auto-incrementing key that none of them has yet).
    numbered = unsaved > 0 and isinstance(
        pk, models.AutoField | models.BigAutoField | models.SmallAutoField
    )
    now = timezone.now()
    stamped = [
        f
        for f in meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for obj in objs:
        for f in stamped:
            setattr(obj, f.attname, now)
    db = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(savepoint=False):
        if numbered and db.vendor == "postgresql":
            # Drawn from the column's own sequence before the insert: other sessions draw
            # from it too, so the keys are whatever it hands this one.
            for obj, key in zip(objs, _reserve_keys(model, len(objs)), strict=True):
                setattr(obj, pk.attname, key)
            numbered = False
        fields = [f for f in meta.concrete_fields if not (numbered and f is pk)]
        insert(model, [{f.attname: getattr(obj, f.attname) for f in fields} for obj in objs])
        if numbered:
            for obj, key in zip(objs, _last_keys(model, len(objs)), strict=True):
                setattr(obj, pk.attname, key)
        for obj in objs:
            obj._state.adding = False
            obj._state.db = DEFAULT_DB_ALIAS
        write_history(objs, model, history_type="+", reason=reason, stamp=stamp)
    return objs


def _reserve_keys(model: type[models.Model], count: int) -> list[int]:
    """`count` new values of the sequence behind `model`'s generated primary key
    (PostgreSQL)."""
    db = connections[DEFAULT_DB_ALIAS]
    pk = model._meta.pk
    assert pk is not None
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [db.ops.quote_name(model._meta.db_table), pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _last_keys(model: type[models.Model], count: int) -> list[int]:
    """The keys SQLite gave the last `count` rows of `model`'s table, in insertion order.

    AUTOINCREMENT numbers rows in the order they come in, above any key the table ever had,
    and the transaction that just inserted them holds the write lock until it ends: no other
    writer can have added a row since, so the highest keys are these rows'."""
    db = connections[DEFAULT_DB_ALIAS]
    pk = model._meta.pk
    assert pk is not None
    column = db.ops.quote_name(pk.column)
    table = db.ops.quote_name(model._meta.db_table)
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY {column} DESC LIMIT %s", [count])
        keys = [row[0] for row in cursor.fetchall()]
    if len(keys) != count:
        raise RuntimeError(f"{model._meta.label}: {count} rows inserted, {len(keys)} found")
    keys.reverse()
    return keys


def write_history(
    objs: Sequence[Any],
    model: type[models.Model],
    *,
    history_type: str,
    reason: str,
    stamp: dt.datetime,
) -> None:
    """The history records of `objs` as they are now (`+` created, `~` changed), as the
    history library's `bulk_history_create` builds them: the tracked fields, the date
    `stamp`, the object's `_change_reason` or `reason`, and the user the library would name
    (the request's, when the write happens in one)."""
    if not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model  # type: ignore[attr-defined]
    tracked = [f.attname for f in history.tracked_fields]
    # The library asks for the user object by object; without an object's own
    # `_history_user` the answer is the request's (or none), the same for every object.
    default: list[Any] = []
    rows = []
    for obj in objs:
        if hasattr(obj, "_history_user"):
            who = obj._history_user
        else:
            if not default:
                default.append(history.get_default_history_user(obj))
            who = default[0]
        row = {name: getattr(obj, name) for name in tracked}
        row["history_date"] = getattr(obj, "_history_date", stamp)
        row["history_user_id"] = who.pk if who is not None else None
        row["history_change_reason"] = getattr(obj, "_change_reason", None) or reason
        row["history_type"] = history_type
        rows.append(row)
    insert(history, rows)


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
        write_history(objs, model, history_type="~", reason=reason, stamp=stamp)


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
    db = connections[DEFAULT_DB_ALIAS]
    name = db.ops.quote_name
    row_id, owner_column, related_column = (
        name(through._meta.get_field(attname).column)
        for attname in ("id", f"{source}_id", f"{target}_id")
    )
    keys = list(wanted)
    # Raw SQL: Django's `__in` prepares each of tens of thousands of keys through the field.
    with db.cursor() as cursor:
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            cursor.execute(
                f"SELECT {row_id}, {owner_column}, {related_column} "
                f"FROM {name(through._meta.db_table)} "
                f"WHERE {owner_column} IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            for pk, owner, related in cursor.fetchall():
                current[owner][related] = pk
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
    `stamp` (the records this run made; an object's latest one when it has several).

    One INSERT ... SELECT per field and batch of objects: the database copies the rows
    itself (a full seed snapshots about 330,000), rather than sending them here and back."""
    history = model.history.model  # type: ignore[attr-defined]
    db = connections[DEFAULT_DB_ALIAS]
    name = db.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    owner = name(history._meta.get_field(pk.attname).column)
    date = history._meta.get_field("history_date").get_db_prep_value(stamp, db)
    owners = sorted(pks)
    with db.cursor() as cursor:
        for field in history._history_m2m_fields:
            m2m_history = HistoricalRecords.m2m_models[field]
            through, source, target = _through(model, field.name)
            copied = [
                name(through._meta.get_field(attname).column)
                for attname in ("id", f"{source}_id", f"{target}_id")
            ]
            into = [name(m2m_history._meta.get_field("history").column)] + [
                name(m2m_history._meta.get_field(attname).column)
                for attname in ("id", f"{source}_id", f"{target}_id")
            ]
            for start in range(0, len(owners), BATCH):
                chunk = owners[start : start + BATCH]
                cursor.execute(
                    f"INSERT INTO {name(m2m_history._meta.db_table)} ({', '.join(into)}) "
                    f"SELECT r.record, {', '.join(f't.{c}' for c in copied)} "
                    f"FROM {name(through._meta.db_table)} t JOIN ("
                    f"SELECT {owner} AS owner, MAX(history_id) AS record "
                    f"FROM {name(history._meta.db_table)} "
                    f"WHERE history_date = %s AND history_type <> '-' "
                    f"AND {owner} IN ({', '.join(['%s'] * len(chunk))}) GROUP BY {owner}"
                    f") r ON r.owner = t.{copied[1]} ORDER BY t.{copied[1]}, t.{copied[0]}",
                    [date, *chunk],
                )

"""Whole-database export and import, for backups and for moving between SQLite and PostgreSQL.

What is transferred is discovered from the app registry, so a model another app adds later
(audit history, say) travels without a change here. Left out is what `migrate` recreates in
every database (content types, permissions) and what has no value elsewhere (sessions); rows
that point at content types or permissions name them by natural key, so a dump loads into a
database whose ids for them differ. Everything else keeps its primary key.

Many-to-many memberships are written as records of their through tables rather than as lists
on the owning record, so they keep their own ids and loading them is a plain row insert:
assigning a relation (`.set()`) would fire `m2m_changed`, and audit libraries answer that
signal with extra history rows.

A dump is one JSON object: the format's name and version, the migration state of the
database it came from (applied migrations per app), and the records. Import refuses a file
of another format version or migration state rather than let Django's deserializer fill
the fields the file lacks with their defaults (a file from before `Rate.status` existed
would have loaded every suspended rate as in force), and refuses a record that lacks a
field or names one twice.

Plain functions: the management commands `export_data` and `import_data` do the talking.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import json
import lzma
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO, cast

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError, DeserializedObject
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer
from django.core.serializers.python import Deserializer as PythonDeserializer
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router, transaction
from django.db.migrations.recorder import MigrationRecorder

from agreements.models.measures import yield_cycles

# Recreated by `migrate` in every database (and referenced by natural key), or meaningless
# outside the database that issued them.
NOT_TRANSFERRED = frozenset({"contenttypes.contenttype", "auth.permission", "sessions.session"})
# Columns that mean nothing in another database: the id of the transaction that wrote a
# history row (the changes feed's order). The importing transaction's id is stored instead.
NOT_TRANSFERRED_FIELDS = frozenset({"feed_txid"})

FORMAT_NAME = "tradeapi-export"
# 1: a bare JSON list of records (no version, no migration state). 2: the object above.
FORMAT_VERSION = 2


def _compressed(raw: BinaryIO, suffix: str, mode: Literal["rb", "wb"]) -> BinaryIO:
    """`raw` through the compression its file name's `suffix` asks for, as dumpdata does.

    The caller closes what this returns; closing it leaves `raw` open.
    """
    if suffix == ".gz":
        # No file name and a zero timestamp in the header, so equal data gives equal bytes.
        return cast(BinaryIO, gzip.GzipFile(filename="", mode=mode, fileobj=raw, mtime=0))
    if suffix == ".bz2":
        return cast(BinaryIO, bz2.BZ2File(raw, mode))
    if suffix in {".xz", ".lzma"}:
        # Reading recognises either container; writing must make the one the suffix names.
        written = lzma.FORMAT_XZ if suffix == ".xz" else lzma.FORMAT_ALONE
        kind = written if mode == "wb" else lzma.FORMAT_AUTO
        return cast(BinaryIO, lzma.LZMAFile(raw, mode, format=kind))
    return raw


class TransferError(Exception):
    """The export or import could not be done; the message says why, for a person."""


@dataclass(frozen=True)
class Dump:
    """A parsed export: the migration state it was written at, and its records."""

    migrations: dict[str, list[str]]
    records: list[dict[str, Any]]


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """The migrations applied to a database, by app, in name order."""
    state: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        state.setdefault(app, []).append(name)
    return state


@dataclass(frozen=True)
class Summary:
    """What one export or import moved: records per table, and rows deleted by --replace."""

    counts: dict[str, int] = field(default_factory=dict)
    replaced: int = 0

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    @property
    def tables(self) -> int:
        return sum(1 for count in self.counts.values() if count)


# --- which models, in which order -------------------------------------------------------


def transferred_models(using: str = DEFAULT_DB_ALIAS) -> list[type[models.Model]]:
    """Every model whose rows a dump holds, each after the models its foreign keys point to.

    Ties (and the members of a cycle, which the database's deferred constraints absorb) go by
    label, so the order, and with it the dump, is the same on every run.
    """
    chosen = {
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in NOT_TRANSFERRED
        # Proxies share their concrete model's table; unmanaged models are not ours to fill.
        and not model._meta.proxy
        and model._meta.managed
        and router.allow_migrate_model(using, model)
    }
    depends_on = {
        model: {
            related
            for f in model._meta.local_fields
            if f.is_relation
            and (related := f.related_model) in chosen
            and related is not model
            and isinstance(related, type)
        }
        for model in chosen
    }
    label = {model: model._meta.label_lower for model in chosen}
    by_label = {name: model for model, name in label.items()}
    ordered: list[type[models.Model]] = []
    done: set[type[models.Model]] = set()
    waiting = set(chosen)
    while waiting:
        ready = [label[m] for m in waiting if depends_on[m] <= done]
        if not ready:
            ready = [min(label[m] for m in waiting)]
        heapify(ready)
        while ready:
            model = by_label[heappop(ready)]
            if model in done:
                continue
            ordered.append(model)
            done.add(model)
            waiting.discard(model)
            for other in waiting:
                if model in depends_on[other] and depends_on[other] <= done:
                    heappush(ready, label[other])
    return ordered


def _natural_keyed(transferred: Iterable[type[models.Model]]) -> frozenset[type[models.Model]]:
    """Models whose ids differ between databases: referenced by natural key, not by id."""
    keep = set(transferred)
    return frozenset(
        model
        for model in apps.get_models(include_auto_created=True)
        if model not in keep and hasattr(model, "natural_key")
    )


# --- export -------------------------------------------------------------------------------


class _Encoder(DjangoJSONEncoder):
    # DjangoJSONEncoder cuts times to milliseconds (ECMA-262); a backup must keep every digit.
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class _DumpSerializer(JSONSerializer):
    _current: dict[str, Any]
    natural_keyed: frozenset[type[models.Model]] = frozenset()

    def handle_fk_field(self, obj: models.Model, field: Any) -> None:
        if field.remote_field.model in self.natural_keyed:
            related = getattr(obj, field.name)
            self._current[field.name] = related.natural_key() if related else None
        else:
            super().handle_fk_field(obj, field)

    def handle_field(self, obj: models.Model, field: Any) -> None:
        if field.name not in NOT_TRANSFERRED_FIELDS:
            super().handle_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: Any) -> None:
        # Through tables are dumped as records of their own (see the module docstring); a
        # custom through model is a model of its own already.
        return


def _rows(
    model: type[models.Model], natural_keyed: frozenset[type[models.Model]], using: str
) -> models.QuerySet[Any]:
    # Join what natural keys are read from (a permission's content type too), so a natural
    # key costs no query per row.
    paths = []
    for f in model._meta.local_fields:
        if f.is_relation and f.related_model in natural_keyed:
            paths.append(f.name)
            related = f.related_model
            assert isinstance(related, type)
            paths.extend(
                f"{f.name}__{g.name}"
                for g in related._meta.local_fields
                if g.is_relation and g.related_model in natural_keyed
            )
    queryset = model._base_manager.using(using).order_by("pk")
    return queryset.select_related(*paths) if paths else queryset


def dump(stream: TextIO, *, using: str = DEFAULT_DB_ALIAS, indent: int | None = None) -> Summary:
    """Write the format header, the migration state and every transferred record (as one
    JSON array in Django's fixture format) to `stream`.

    Tables in dependency order, rows by primary key, read in one transaction so the dump is
    one moment of the database.
    """
    chosen = transferred_models(using)
    serializer = _DumpSerializer()
    serializer.natural_keyed = _natural_keyed(chosen)
    counts: Counter[str] = Counter({model._meta.label_lower: 0 for model in chosen})

    def records() -> Iterator[models.Model]:
        for model in chosen:
            for row in _rows(model, serializer.natural_keyed, using).iterator(chunk_size=2000):
                counts[model._meta.label_lower] += 1
                yield row

    connection = connections[using]
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if own_transaction and connection.vendor == "postgresql":
            # A fresh transaction of our own: read every table at one snapshot even while
            # others write. (Inside a caller's transaction the caller chose the isolation.)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        header = json.dumps(
            {
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "migrations": migration_state(using),
            },
            indent=indent,
            sort_keys=True,
        )
        # The records go in as the header's last member, streamed by the serializer.
        stream.write(header[: header.rindex("}")].rstrip() + ', "records": ')
        try:
            serializer.serialize(records(), stream=stream, indent=indent, cls=_Encoder)
            stream.write("}")
        except ObjectDoesNotExist as error:
            raise TransferError(f"A row points at a record that does not exist: {error}") from error
    return Summary(counts=dict(counts))


def export_file(path: Path, *, using: str = DEFAULT_DB_ALIAS, indent: int | None = None) -> Summary:
    """Dump to `path`, compressed when its name ends in .gz, .bz2, .xz or .lzma.

    The file appears only complete: a failed export leaves whatever was there before. It is
    created readable by its owner only, since it holds password hashes and API tokens.
    """
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise TransferError(f"Cannot write to {path.parent}: {error.strerror}.") from error
    try:
        try:
            with os.fdopen(handle, "wb", closefd=False) as raw:
                binary = _compressed(raw, path.suffix, "wb")
                with binary, io.TextIOWrapper(binary, encoding="utf-8") as text:
                    summary = dump(text, using=using, indent=indent)
            # On disk before it takes the old backup's name, or a crash could leave neither.
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    return summary


# --- import -------------------------------------------------------------------------------


def read_file(path: Path) -> Dump:
    """The records of a dump at `path` (decompressed by its extension), checked for shape."""
    try:
        with path.open("rb") as raw, _compressed(raw, path.suffix, "rb") as binary:
            data = binary.read()
    except FileNotFoundError as error:
        raise TransferError(f"{path} does not exist.") from error
    except (OSError, EOFError, lzma.LZMAError) as error:
        raise TransferError(
            f"{path} cannot be read as a {path.suffix or 'plain'} file ({error}): "
            "it is truncated or corrupt."
        ) from error
    return parse(data, name=str(path))


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    result.duplicates = []
    for key, value in pairs:
        if key in result:
            result.duplicates.append(key)
        result[key] = value
    return result


def _duplicated(value: Any) -> list[str]:
    """The keys given twice anywhere inside `value`."""
    if isinstance(value, _Object):
        return value.duplicates + [k for item in value.values() for k in _duplicated(item)]
    if isinstance(value, list):
        return [k for item in value for k in _duplicated(item)]
    return []


def parse(data: bytes, *, name: str) -> Dump:
    """Decode a dump's bytes, refusing anything that is not a complete dump of this format:
    another format version, a record that is not one, a key given twice."""
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_object)
    except UnicodeDecodeError as error:
        raise TransferError(f"{name} is not UTF-8 text ({error}): it is corrupt.") from error
    except json.JSONDecodeError as error:
        raise TransferError(
            f"{name} is not complete JSON ({error}): it is truncated or corrupt."
        ) from error
    if isinstance(document, list):
        raise TransferError(
            f"{name} is an export of format version 1 (a bare list of records, without the "
            "migration state it was written at); this version reads version "
            f"{FORMAT_VERSION} only. Its records would load with defaults for every field "
            "added since. Export again with this version, from a database migrated to match."
        )
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise TransferError(f"{name} is not an export_data file (no {FORMAT_NAME!r} header).")
    if document.get("version") != FORMAT_VERSION:
        raise TransferError(
            f"{name} is an export of format version {document.get('version')!r}; this "
            f"version reads version {FORMAT_VERSION} only."
        )
    records, migrations = document.get("records"), document.get("migrations")
    if not isinstance(records, list) or not isinstance(migrations, dict):
        raise TransferError(f"{name} lacks its records or its migration state.")
    top = document.duplicates if isinstance(document, _Object) else []
    if duplicated := top + _duplicated(migrations):
        raise TransferError(f"{name} gives the key {duplicated[0]!r} twice in its header.")
    if not all(
        isinstance(names, list) and all(isinstance(n, str) for n in names)
        for names in migrations.values()
    ):
        raise TransferError(f"{name}: its migration state is not lists of migration names.")
    for number, record in enumerate(records, start=1):
        if not (
            isinstance(record, dict)
            and isinstance(record.get("model"), str)
            and "pk" in record
            and isinstance(record.get("fields"), dict)
        ):
            raise TransferError(
                f"{name}: record {number} is not a record of this format "
                "(an object with model, pk and fields)."
            )
        where = f"{name}: record {number} ({record['model']} pk={record['pk']!r})"
        if duplicated := _duplicated(record):
            # json would keep the last value silently; which one the writer meant is unknown.
            raise TransferError(f"{where} gives the key {duplicated[0]!r} twice.")
        missing = sorted(_expected_fields(record["model"]) - set(record["fields"]))
        if missing:
            raise TransferError(
                f"{where} lacks the field(s) {', '.join(missing)}: loading it would give "
                "them their defaults instead of the exported values."
            )
    return Dump(migrations={app: list(names) for app, names in migrations.items()}, records=records)


def _expected_fields(label: str) -> set[str]:
    """The fields an export writes for a record of model `label` (none for a model this
    code does not know: the deserializer names that error)."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return set()
    return {
        f.name
        for f in model._meta.concrete_model._meta.local_fields
        if f.serialize and f.name not in NOT_TRANSFERRED_FIELDS
    }


def check_migrations(dump: Dump, *, using: str = DEFAULT_DB_ALIAS, name: str) -> None:
    """Refuse a dump written at another migration state than this database's: its records
    would lack the fields added since (or carry ones removed), and fill them with defaults."""
    here = migration_state(using)
    if dump.migrations == here:
        return
    differing = sorted(
        app for app in set(here) | set(dump.migrations) if here.get(app) != dump.migrations.get(app)
    )

    def latest(state: dict[str, list[str]], app: str) -> str:
        return state[app][-1] if state.get(app) else "none"

    details = "; ".join(
        f"{app}: file at {latest(dump.migrations, app)}, database at {latest(here, app)}"
        for app in differing
    )
    raise TransferError(
        f"{name} was exported at another migration state than this database ({details}). "
        "Nothing was imported. Migrate both databases to the same code's migrations (or "
        "export again from a database at this one's state), then import."
    )


def _deserialize(
    records: list[dict[str, Any]], using: str, allowed: set[type[models.Model]]
) -> list[DeserializedObject]:
    objects: list[DeserializedObject] = []
    deserialized = iter(PythonDeserializer(records, using=using))
    for number, record in enumerate(records, start=1):
        try:
            obj = next(deserialized)
        except (
            DeserializationError,
            FieldDoesNotExist,
            ObjectDoesNotExist,
            ValueError,
            TypeError,
        ) as error:
            raise TransferError(
                f"Record {number} ({record['model']}) cannot be read: {error}"
            ) from error
        model = type(obj.object)
        if model not in allowed:
            raise TransferError(
                f"Record {number} is a {model._meta.label_lower}, which is not transferred: "
                "migrate creates those rows in every database, or they belong to one."
            )
        objects.append(obj)
    return objects


def _stray_rows(
    model: type[models.Model], incoming: dict[Any, models.Model], using: str
) -> tuple[int, Any, set[Any]]:
    """Rows of `model` the dump would not reproduce exactly: how many, and the first's pk;
    and the pks of the rows it holds identically."""
    fields = [f for f in model._meta.local_concrete_fields if f.name not in NOT_TRANSFERRED_FIELDS]
    count, first, identical = 0, None, set()
    for row in model._base_manager.using(using).order_by("pk").iterator(chunk_size=2000):
        twin = incoming.get(row.pk)
        if twin is None or any(getattr(row, f.attname) != getattr(twin, f.attname) for f in fields):
            count += 1
            first = row.pk if first is None else first
        else:
            identical.add(row.pk)
    return count, first, identical


def load(
    dump: Dump,
    *,
    replace: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    name: str = "the file",
) -> Summary:
    """Load a dump into this (migrated) database, in one transaction: all of it or nothing.

    Without `replace` the transferred tables must not hold anything the dump does not: rows
    the dump holds identically (the `editors` group a migration creates in every database)
    are no conflict. With `replace` every transferred table is emptied first. Records are
    saved raw, as `loaddata` does, so no save logic or signal handler adds rows of its own;
    the row counts are checked afterwards to prove it.
    """
    connection = connections[using]
    chosen = transferred_models(using)
    tables = [model._meta.db_table for model in chosen]
    check_migrations(dump, using=using, name=name)
    with transaction.atomic(using=using):
        objects = _deserialize(dump.records, using, set(chosen))
        incoming: dict[type[models.Model], dict[Any, models.Model]] = {m: {} for m in chosen}
        for obj in objects:
            incoming[type(obj.object)][obj.object.pk] = obj.object

        existing = {m: m._base_manager.using(using).count() for m in chosen}
        # Rows already there exactly as the dump has them stay untouched (a history row keeps
        # the transaction that wrote it, so the changes feed does not serve it again).
        already: dict[type[models.Model], set[Any]] = {m: set() for m in chosen}
        replaced = 0
        if replace:
            replaced = sum(existing.values())
            # PostgreSQL will not TRUNCATE a table with foreign-key checks still deferred from
            # earlier writes of the caller's transaction; running them now settles them.
            connection.check_constraints(table_names=tables)
            with connection.cursor() as cursor:
                for statement in connection.ops.sql_flush(no_style(), tables):
                    cursor.execute(statement)
            existing = dict.fromkeys(chosen, 0)
        else:
            for model in chosen:
                if not existing[model]:
                    continue
                stray, first, already[model] = _stray_rows(model, incoming[model], using)
                if stray:
                    raise TransferError(
                        f"Table {model._meta.db_table} already holds {stray:,} row(s) that "
                        f"{name} does not (first pk={first!r}). Nothing was imported; pass "
                        "--replace to delete every row of the transferred tables first."
                    )

        with connection.constraint_checks_disabled():
            for obj in objects:
                model = type(obj.object)
                if obj.object.pk in already[model]:
                    continue
                try:
                    # An empty table cannot hold the row: skip the UPDATE that precedes an
                    # INSERT, which halves the queries.
                    obj.save(using=using, force_insert=not existing[model])
                except (DatabaseError, ValueError, TypeError) as error:
                    raise TransferError(
                        f"Cannot load {model._meta.label_lower} pk={obj.object.pk!r}: {error}"
                    ) from error
        try:
            connection.check_constraints(table_names=tables)
        except DatabaseError as error:
            raise TransferError(f"{name} breaks a constraint: {error}") from error
        # The one rule of the data no constraint can hold (a cycle spans rows), which every
        # other write path checks before it commits: a dump is checked as a whole load is.
        cycles = yield_cycles(using=using)
        if cycles:
            raise TransferError(
                f"{name} makes programs yield to each other in a cycle: {' '.join(cycles)} "
                "Nothing was imported."
            )

        counts = {m._meta.label_lower: len(incoming[m]) for m in chosen}
        for model in chosen:
            stored = model._base_manager.using(using).count()
            if stored != len(incoming[model]):
                raise TransferError(
                    f"Table {model._meta.db_table} holds {stored:,} rows after loading "
                    f"{len(incoming[model]):,}: something wrote rows of its own. Nothing was "
                    "imported."
                )

        statements = connection.ops.sequence_reset_sql(no_style(), chosen)
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
    return Summary(counts=counts, replaced=replaced)

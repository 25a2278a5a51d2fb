"""`export_data` / `import_data`: the whole database out and back in, with nothing lost.

Every test starts from the synthetic world (tests/factories.py) with a full nomenclature's
worth of products, plus a user with a group, a permission, a token, an admin log entry and
an audited edit of their own, so the tables only staff fill are
exercised too. "Everything" is checked against the app registry itself, not against the
transfer module's own list of what it moves.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import re
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, models

from agreements.models import Agreement, Measure, Product, Rate, Source
from agreements.transfer import (
    FORMAT_NAME,
    FORMAT_VERSION,
    NOT_TRANSFERRED_FIELDS,
    migration_state,
    transferred_models,
)
from tests import factories
from tests.factories import ORIGIN_MEASURE, TRUCE
from tradeapi.tokens.models import ApiToken

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world", "nomenclature")]
# As many lines as the HS has at six digits, written in bulk as the loader writes them, so a
# dump is as large as a real one: over 15,000 records once the audit history is counted.
BULK_PRODUCTS = 7_600

Snapshot = dict[str, list[dict[str, Any]]]
# What migrate recreates (and sessions): the only tables a dump may leave out.
LEFT_OUT = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


def every_table() -> list[type[models.Model]]:
    """Every model with a table of its own, many-to-many through tables included."""
    return [m for m in apps.get_models(include_auto_created=True) if not m._meta.proxy]


def snapshot() -> Snapshot:
    """All rows, all columns, of every table (the left-out ones too: import must not touch
    them), ordered by primary key."""
    return {
        m._meta.label_lower: [
            # The writing transaction's id is the import's after an import, by design.
            {k: v for k, v in row.items() if k not in NOT_TRANSFERRED_FIELDS}
            for row in m._base_manager.order_by("pk").values()
        ]
        for m in every_table()
    }


def flush_transferred(*, reset_sequences: bool = False) -> None:
    tables = [m._meta.db_table for m in transferred_models()]
    # PostgreSQL refuses to TRUNCATE tables with foreign-key checks still deferred from the
    # fixture's writes; running them now settles them.
    connection.check_constraints()
    with connection.cursor() as cursor:
        for statement in connection.ops.sql_flush(
            no_style(), tables, reset_sequences=reset_sequences
        ):
            cursor.execute(statement)


def export(path: Path) -> str:
    out = StringIO()
    call_command("export_data", str(path), stdout=out)
    return out.getvalue()


def import_(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_data", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def nomenclature(world: factories.World, django_db_blocker: Any) -> None:
    # Inside the world's module transaction, so it is rolled back with it.
    with django_db_blocker.unblock():
        factories.products_in_bulk([str(code) for code in range(200_000, 200_000 + BULK_PRODUCTS)])


def header(records: bytes) -> bytes:
    """`records` (a JSON list) as a current export of this database would carry them."""
    head = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "migrations": migration_state()}
    return json.dumps(head)[:-1].encode() + b', "records": ' + records + b"}"


@pytest.fixture(autouse=True)
def staff_records() -> None:
    """Rows of the tables the world leaves empty, each pointing at content types or
    permissions, whose ids are the ones that differ between databases."""
    alice = User.objects.create_user("alice", "alice@example.org", "a long passphrase 42")
    alice.groups.add(Group.objects.get(name="editors"))
    alice.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    ApiToken.objects.issue(user=alice, name="alice's script")
    source = Source.objects.order_by("pk").first()
    assert source is not None
    LogEntry.objects.create(
        user=alice,
        content_type=ContentType.objects.get_for_model(Source),
        object_id=str(source.pk),
        object_repr=str(source),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Note"]}}]',
    )
    source.note = "Checked by alice."
    # simple-history reads the author of an edit from this attribute.
    source._history_user = alice  # type: ignore[attr-defined]
    source.save()


def test_every_table_with_data_of_its_own_is_transferred() -> None:
    expected = {m._meta.label_lower for m in every_table()} - LEFT_OUT
    assert {m._meta.label_lower for m in transferred_models()} == expected
    assert "agreements.historicalmeasure_products" in expected


def test_round_trip_restores_every_row_and_column(tmp_path: Path) -> None:
    before = snapshot()
    dump = tmp_path / "all.json"

    exported = export(dump)

    match = re.fullmatch(r"Exported ([\d,]+) records from (\d+) tables to (.+)\n", exported)
    assert match is not None, exported
    records, tables = int(match[1].replace(",", "")), int(match[2])
    assert match[3] == str(dump)
    assert records == sum(len(before[m._meta.label_lower]) for m in transferred_models())
    assert records > 15_000
    assert len(before["agreements.product"]) > 6_000
    assert len(before["agreements.historicalproduct"]) > 6_000
    assert tables >= 30
    for label in ("auth.user", "auth.user_groups", "tokens.apitoken", "admin.logentry"):
        assert before[label], label

    flush_transferred()
    assert not Product.objects.exists()
    assert not User.objects.exists()
    imported = import_(dump)

    assert imported == f"Imported {records:,} records into {tables} tables from {dump}\n"
    assert snapshot() == before


def test_replace_deletes_what_the_dump_does_not_hold(tmp_path: Path) -> None:
    before = snapshot()
    dump = tmp_path / "all.json"
    export(dump)
    Source.objects.create(url="https://example.org/new", title="Added after the dump")
    Rate.objects.filter(measure__slug=ORIGIN_MEASURE).delete()
    Measure.objects.filter(slug="xa-drugs-xb-order-1").update(note="Edited.")
    User.objects.create_user("bob")

    output = import_(dump, "--replace")

    assert re.fullmatch(
        r"Imported [\d,]+ records into \d+ tables from .+, replacing [\d,]+ rows\n", output
    )
    assert snapshot() == before


def test_two_exports_are_byte_identical(tmp_path: Path) -> None:
    for name in ("a.json", "b.json", "a.json.gz", "b.json.gz"):
        export(tmp_path / name)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


def test_export_keeps_timestamps_to_the_microsecond(tmp_path: Path) -> None:
    dump = tmp_path / "all.json"
    export(dump)
    records = json.loads(dump.read_text(encoding="utf-8"))["records"]
    stamps = [r["fields"]["created_at"] for r in records if r["model"] == "agreements.source"]
    stored = [s.created_at for s in Source.objects.order_by("pk")]
    assert stamps == [s.isoformat().replace("+00:00", "Z") for s in stored]


@pytest.mark.parametrize(
    ("suffix", "decompress"),
    [(".gz", gzip.decompress), (".bz2", bz2.decompress), (".xz", lzma.decompress)],
)
def test_a_compressed_export_loads(tmp_path: Path, suffix: str, decompress: Any) -> None:
    before = snapshot()
    plain, packed = tmp_path / "all.json", tmp_path / f"all.json{suffix}"
    export(plain)
    export(packed)
    assert decompress(packed.read_bytes()) == plain.read_bytes()

    flush_transferred()
    import_(packed)

    assert snapshot() == before


def test_standard_output_and_input(monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot()
    out, err = StringIO(), StringIO()
    call_command("export_data", "-", stdout=out, stderr=err)
    warning, summary = err.getvalue().splitlines()
    # A pipe cannot be made owner-only as a file is: say so where only the person sees it.
    assert "holds secrets" in warning
    assert "password hashes" in warning
    assert summary.startswith("Exported ")
    data = out.getvalue().encode()
    assert isinstance(json.loads(data)["records"], list)

    flush_transferred()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    call_command("import_data", "-", stdout=StringIO())

    assert snapshot() == before


def test_reimporting_into_the_same_data_changes_nothing(tmp_path: Path) -> None:
    """Rows the dump holds identically are no conflict: every migrated database has the
    `editors` group, so a fresh target is never quite empty."""
    before = snapshot()
    dump = tmp_path / "all.json"
    export(dump)

    import_(dump)

    assert snapshot() == before


def test_refuses_a_database_with_other_data_and_writes_nothing(tmp_path: Path) -> None:
    dump = tmp_path / "all.json"
    export(dump)
    Source.objects.create(url="https://example.org/new", title="Added after the dump")
    before = snapshot()

    with pytest.raises(CommandError, match=r"Table agreements_source already holds 1 row") as e:
        import_(dump)

    assert "--replace" in str(e.value)
    assert snapshot() == before


def test_refuses_a_changed_row(tmp_path: Path) -> None:
    dump = tmp_path / "all.json"
    export(dump)
    Agreement.objects.filter(slug=TRUCE).update(note="Edited.")
    before = snapshot()

    with pytest.raises(CommandError, match=r"Table agreements_agreement already holds 1 row"):
        import_(dump)

    assert snapshot() == before


@pytest.mark.parametrize("suffix", [".json", ".json.gz", ".json.xz"])
def test_a_truncated_file_changes_nothing(tmp_path: Path, suffix: str) -> None:
    whole, cut = tmp_path / f"whole{suffix}", tmp_path / f"cut{suffix}"
    export(whole)
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    before = snapshot()

    with pytest.raises(CommandError, match="truncated or corrupt"):
        import_(cut, "--replace")

    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not text", "not UTF-8"),
        (b'{"model": "agreements.source"}', "not an export_data file"),
        (b'[{"model": "agreements.source", "pk": 1, "fields": {}}]', "format version 1"),
        # Behind a current header (added in the test: it reads the database).
        ((b'[{"model": "agreements.source", "pk": 1}]',), "record 1 is not a record"),
        ((b'[{"model": "agreements.nothing", "pk": 1, "fields": {}}]',), "Invalid model"),
        (
            (
                b'[{"model": "contenttypes.contenttype", "pk": 1, '
                b'"fields": {"app_label": "agreements", "model": "source"}}]',
            ),
            "not transferred",
        ),
    ],
)
def test_a_file_that_is_not_a_dump_changes_nothing(
    tmp_path: Path, content: bytes | tuple[bytes], message: str
) -> None:
    if isinstance(content, tuple):
        content = header(content[0])
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    before = snapshot()

    with pytest.raises(CommandError, match=message):
        import_(path, "--replace")

    assert snapshot() == before


def test_a_bad_record_at_the_end_rolls_back_the_whole_load(tmp_path: Path) -> None:
    """The rows deleted by --replace and the records loaded before the bad one come back."""
    dump = tmp_path / "all.json"
    export(dump)
    document = json.loads(dump.read_text(encoding="utf-8"))
    records = document["records"]
    last_rate = max(i for i, r in enumerate(records) if r["model"] == "agreements.rate")
    records[last_rate]["fields"]["measure"] = 10**9
    dump.write_text(json.dumps(document), encoding="utf-8")
    before = snapshot()

    with pytest.raises(CommandError, match="agreements_rate"):
        import_(dump, "--replace")

    assert snapshot() == before


@pytest.mark.postgres
def test_new_records_after_an_import_get_fresh_ids(tmp_path: Path) -> None:
    dump = tmp_path / "all.json"
    export(dump)
    highest = Source.objects.order_by("-pk").values_list("pk", flat=True)[0]
    # Sequences back at 1, as in a database that has never held these rows.
    flush_transferred(reset_sequences=True)

    import_(dump)

    source = Source.objects.create(url="https://example.org/after", title="After the import")
    assert source.pk == highest + 1
    agreement = Agreement.objects.get(slug=TRUCE)
    agreement.sources.add(source)  # a through row and an audited many-to-many change
    User.objects.create_user("carol")
    assert source.history.count() == 1  # type: ignore[attr-defined]


def refused(tmp_path: Path, document: Any, message: str) -> None:
    path = tmp_path / "edited.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        import_(path, "--replace")
    assert snapshot() == before


def exported(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "all.json"
    export(path)
    return json.loads(path.read_text(encoding="utf-8"))


def test_an_export_names_its_format_version_and_migration_state(tmp_path: Path) -> None:
    document = exported(tmp_path)
    assert document["format"] == "tradeapi-export"
    assert document["version"] == 2
    assert "0001_initial" in document["migrations"]["agreements"]
    assert document["migrations"] == migration_state()
    # Transaction ids mean nothing in another database.
    assert not any("feed_txid" in r["fields"] for r in document["records"])


def test_a_file_of_the_older_format_is_refused(tmp_path: Path) -> None:
    """Version 1 was a bare list: loading it filled the fields it lacked with defaults."""
    records = exported(tmp_path)["records"]
    refused(tmp_path, records, r"format version 1 .* Export again")


def test_a_file_from_another_migration_state_is_refused(tmp_path: Path) -> None:
    document = exported(tmp_path)
    *older, latest = document["migrations"]["agreements"]
    document["migrations"]["agreements"] = older  # As exported before the latest migration.
    refused(
        tmp_path,
        document,
        rf"another migration state .*agreements: file at {older[-1]}, database at {latest}",
    )


def test_a_record_lacking_a_field_is_refused(tmp_path: Path) -> None:
    """A rate without its status would have loaded as in force (the field's default)."""
    document = exported(tmp_path)
    rate = next(r for r in document["records"] if r["model"] == "agreements.rate")
    del rate["fields"]["status"]
    refused(tmp_path, document, rf"agreements.rate pk={rate['pk']}\) lacks the field\(s\) status")


def test_a_record_giving_a_key_twice_is_refused(tmp_path: Path) -> None:
    document = exported(tmp_path)
    rate = next(r for r in document["records"] if r["model"] == "agreements.rate")
    text = json.dumps(document)
    fields = json.dumps(rate["fields"])
    doubled = fields[:-1] + ', "status": "suspended"}'
    assert text.count(fields) == 1
    refused(tmp_path, text.replace(fields, doubled), r"gives the key 'status' twice")


def test_a_dump_whose_measures_yield_in_a_cycle_is_refused(tmp_path: Path) -> None:
    """The rule no constraint holds, checked on the loaded whole as every other write path
    checks it: two programs of one importer yielding to each other on a day both run."""
    document = exported(tmp_path)
    records = document["records"]
    measures = {r["pk"]: r for r in records if r["model"] == "agreements.measure"}
    counted: dict[int, list[tuple[str, str | None]]] = {}
    for r in records:
        if r["model"] == "agreements.rate" and r["fields"]["status"] in ("in_force", "announced"):
            fields = r["fields"]
            counted.setdefault(fields["measure"], []).append(
                (fields["valid_from"], fields["valid_to"])
            )

    def overlap(a: int, b: int) -> bool:
        return any(
            (a_to is None or b_from < a_to) and (b_to is None or a_from < b_to)
            for a_from, a_to in counted.get(a, [])
            for b_from, b_to in counted.get(b, [])
        )

    first, second = next(
        (measures[a], measures[b])
        for a in sorted(measures)
        for b in sorted(measures)
        if a < b
        and measures[a]["fields"]["importer"] == measures[b]["fields"]["importer"]
        and measures[a]["fields"]["program"] != measures[b]["fields"]["program"]
        and overlap(a, b)
    )
    first["fields"]["yields_to"] = [second["fields"]["program"]]
    second["fields"]["yields_to"] = [first["fields"]["program"]]
    a, b = first["fields"]["program"], second["fields"]["program"]
    refused(
        tmp_path,
        document,
        rf"yield to each other in a cycle: {first['fields']['importer']}: On [-0-9]+ programs "
        rf"would yield to each other in a cycle: ({a} -> {b} -> {a}|{b} -> {a} -> {b}) .*"
        r"applies\. Nothing was imported\.$",
    )
    # Unedited, the same dump loads.
    path = tmp_path / "all.json"
    import_(path, "--replace")

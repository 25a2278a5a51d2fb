"""`export_data` / `import_data`: the whole database out and back in, with nothing lost.

Every test starts from the seeded 2025 data plus a user with a group, a permission, a token,
an admin log entry and an audited edit of their own, so the tables only staff fill are
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
from rest_framework.authtoken.models import Token

from agreements.models import Agreement, Measure, Product, Rate, Source
from agreements.transfer import transferred_models

pytestmark = pytest.mark.django_db

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
        m._meta.label_lower: list(m._base_manager.order_by("pk").values()) for m in every_table()
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


@pytest.fixture(autouse=True)
def staff_records() -> None:
    """Rows of the tables the seed leaves empty, each pointing at content types or
    permissions, whose ids are the ones that differ between databases."""
    alice = User.objects.create_user("alice", "alice@example.org", "a long passphrase 42")
    alice.groups.add(Group.objects.get(name="editors"))
    alice.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    Token.objects.create(user=alice)
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
    for label in ("auth.user", "auth.user_groups", "authtoken.token", "admin.logentry"):
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
    Rate.objects.filter(measure__slug="us-ieepa-reciprocal-cn-truce").delete()
    Measure.objects.filter(slug="us-ieepa-fentanyl-cn").update(note="Edited.")
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
    records = json.loads(dump.read_text(encoding="utf-8"))
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
    assert err.getvalue().startswith("Exported ")
    data = out.getvalue().encode()
    assert isinstance(json.loads(data), list)

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
    Agreement.objects.filter(slug="us-cn-geneva-truce").update(note="Edited.")
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
        (b'{"model": "agreements.source"}', "not hold a JSON list"),
        (b'[{"model": "agreements.source", "pk": 1}]', "record 1 is not a record"),
        (b'[{"model": "agreements.nothing", "pk": 1, "fields": {}}]', "Invalid model"),
        (
            b'[{"model": "contenttypes.contenttype", "pk": 1, "fields": {}}]',
            "not transferred",
        ),
    ],
)
def test_a_file_that_is_not_a_dump_changes_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
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
    records = json.loads(dump.read_text(encoding="utf-8"))
    last_rate = max(i for i, r in enumerate(records) if r["model"] == "agreements.rate")
    records[last_rate]["fields"]["measure"] = 10**9
    dump.write_text(json.dumps(records), encoding="utf-8")
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
    agreement = Agreement.objects.get(slug="us-cn-geneva-truce")
    agreement.sources.add(source)  # a through row and an audited many-to-many change
    User.objects.create_user("carol")
    assert source.history.count() == 1  # type: ignore[attr-defined]

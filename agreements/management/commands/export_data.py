"""`manage.py export_data FILE`: the whole database as one JSON file (a backup, or a move)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from agreements.transfer import TransferError, dump, export_file


class Command(BaseCommand):
    help = (
        "Write every record of every app (but content types, permissions and sessions, which "
        "each database has of its own) to FILE as JSON, compressed when FILE ends in .gz, "
        ".bz2, .xz or .lzma; '-' writes to standard output. import_data loads it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write the dump, or - for standard output.")
        parser.add_argument(
            "--indent", type=int, default=None, help="Indent the JSON by this many spaces."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database to export.")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["file"]
        try:
            if target == "-":
                # A file gets owner-only permissions; a pipe or a terminal cannot, so the
                # person at the terminal must be told where the password hashes are going.
                self.stderr.write(
                    self.style.WARNING(
                        "Warning: the export holds secrets (password hashes, users' e-mail "
                        "addresses, the login audit): keep whatever receives standard "
                        "output private."
                    )
                )
                # The serializer writes in fragments; the wrapper must not end each with "\n".
                self.stdout.ending = ""
                summary = dump(
                    cast(TextIO, self.stdout), using=options["database"], indent=options["indent"]
                )
                self.stdout.write("\n")
            else:
                summary = export_file(
                    Path(target), using=options["database"], indent=options["indent"]
                )
        except TransferError as error:
            raise CommandError(str(error)) from error
        line = f"Exported {summary.records:,} records from {summary.tables:,} tables to {target}"
        # With the dump on standard output, the summary must not end up inside it.
        (self.stderr if target == "-" else self.stdout).write(self.style.SUCCESS(line))

"""`manage.py import_data FILE [--replace]`: load what export_data wrote, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from agreements.transfer import TransferError, load, parse, read_file


class Command(BaseCommand):
    help = (
        "Load a file written by export_data into this migrated database, in one transaction: "
        "a file that cannot be loaded whole changes nothing. The file's format version and "
        "migration state must match this code's and this database's. Refuses when the "
        "tables already hold rows the file does not, unless --replace, which deletes them "
        "first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help="The dump (decompressed by its .gz, .bz2, .xz or .lzma extension), "
            "or - for standard input.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete every row of the transferred tables before loading (same transaction).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database to load.")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["file"]
        try:
            if source == "-":
                dump = parse(sys.stdin.buffer.read(), name="standard input")
            else:
                dump = read_file(Path(source))
            summary = load(dump, replace=options["replace"], using=options["database"], name=source)
        except TransferError as error:
            raise CommandError(str(error)) from error
        line = f"Imported {summary.records:,} records into {summary.tables:,} tables from {source}"
        if options["replace"]:
            line += f", replacing {summary.replaced:,} rows"
        self.stdout.write(self.style.SUCCESS(line))

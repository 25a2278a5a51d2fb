"""`manage.py import_uk_tariff FILE`: the UK Global Tariff and the EU's 2020 CET."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agreements.engine.queries import refresh_statistics
from agreements.management.commands._tariffs import progress_bar, write_summary
from agreements.tariffs.imports import import_uk_tariff


class Command(BaseCommand):
    help = (
        "Load the uktrade global-uk-tariff CSV (plain or gzipped): GB's base duties (the UK "
        "Global Tariff from 2021-01-01) and the EU's (the 2020 Common External Tariff), both "
        "old vintages. Idempotent: a second run changes nothing and says so."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="global-uk-tariff.csv (or .csv.gz).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            summaries = import_uk_tariff(path=path, progress=progress_bar)
        except ValueError as error:
            raise CommandError(str(error)) from error
        refresh_statistics()
        for summary in summaries.values():
            write_summary(self, summary)

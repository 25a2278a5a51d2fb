"""`manage.py import_hts FILE --edition "HTS 2026 Basic Edition" --valid-from 2026-01-01`."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agreements.engine.queries import refresh_statistics
from agreements.management.commands._tariffs import progress_bar, write_summary
from agreements.tariffs.imports import import_hts


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from error


class Command(BaseCommand):
    help = (
        "Load one edition of the Harmonized Tariff Schedule (the USITC CSV export, plain or "
        "gzipped): its tariff lines, and the MFN and Column 2 base measures for the edition's "
        "period. Idempotent: a second run changes nothing and says so."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV export (.csv or .csv.gz).")
        parser.add_argument(
            "--edition", required=True, help="Its name, e.g. 'HTS 2026 Basic Edition'."
        )
        parser.add_argument(
            "--valid-from", required=True, type=_date, help="First day the edition applies."
        )
        parser.add_argument(
            "--valid-to",
            type=_date,
            default=None,
            help="First day it no longer applies (the next edition's first day); omit for "
            "the current edition.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            summary = import_hts(
                path=path,
                edition=options["edition"],
                valid_from=options["valid_from"],
                valid_to=options["valid_to"],
                progress=progress_bar,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        refresh_statistics()
        write_summary(self, summary)

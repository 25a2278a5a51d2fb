"""`manage.py effective_rate US CN 950300 --date 2025-05-20`: the breakdown as a table."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from agreements import engine
from agreements.engine.results import ChargedOn
from agreements.validators import clean_economy_code, clean_hs_code


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from error


class Command(BaseCommand):
    help = "Print the duty on HS code from ORIGIN entering IMPORTER on a date, measure by measure."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("importer", help="Importer code, e.g. US.")
        parser.add_argument("origin", help="Origin code, e.g. CN.")
        parser.add_argument("hs", help="HS code, 2 to 10 digits, e.g. 950300 or 9503.00.")
        parser.add_argument("--date", type=_date, default=None, help="YYYY-MM-DD (default today).")
        parser.add_argument(
            "--scenario", choices=[s.value for s in engine.Scenario], default="in_force"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cleaned = {}
        for name, clean in (
            ("importer", clean_economy_code),
            ("origin", clean_economy_code),
            ("hs", clean_hs_code),
        ):
            try:
                cleaned[name] = clean(options[name])
            except ValidationError as error:
                raise CommandError(f"{name}: {' '.join(error.messages)}") from error
        importer, origin, hs = cleaned["importer"], cleaned["origin"], cleaned["hs"]
        try:
            result = engine.effective_rate(
                importer=importer,
                origin=origin,
                hs=hs,
                on=options["date"] or timezone.localdate(),
                scenario=engine.Scenario(options["scenario"]),
            )
        except engine.UnknownEconomy as error:
            raise CommandError(f"{error.field}: {error}") from error

        product = (
            f"{result.product.code} {result.product.description}" if result.product else "unknown"
        )
        self.stdout.write(f"{importer} <- {origin}  HS {hs}  on {result.date}  ({product})")
        rows = [("Measure", "Instrument", "Kind", "Rate", "Adds", "Valid")]
        for c in result.duty.components:
            valid = f"{c.valid_from}..{c.valid_to or ''}"
            # A duty on a content, or on the value less it, is not added to the percentage
            # (API.md rule 5): its column says what it is charged on instead.
            adds = str(c.applied_rate)
            if c.kind != "base" and c.charged_on != ChargedOn.VALUE:
                adds = f"{adds} on {c.charged_on.replace('_', ' ')}, not added"
            rows.append((c.title, c.instrument, c.kind, str(c.rate), adds, valid))
        widths = [min(60, max(len(row[i]) for row in rows)) for i in range(len(rows[0]))]
        for index, row in enumerate(rows):
            cells = [cell[: widths[i]].ljust(widths[i]) for i, cell in enumerate(row)]
            self.stdout.write("  ".join(cells).rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        duty = result.duty
        unknown = "unknown (no base rate recorded)"
        self.stdout.write(
            f"Base {duty.base_rate if duty.base_rate is not None else unknown}  "
            f"+ additional {duty.additional_rate}  "
            f"= total {duty.total_rate if duty.total_rate is not None else 'unknown'}"
        )
        for notice in (*result.warnings, *duty.warnings):
            self.stdout.write(f"Warning ({notice.code}): {notice.detail}")

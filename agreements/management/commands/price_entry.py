"""`manage.py price_entry lines.csv --date 2025-09-15`: the duty on every line of an entry.

The file is the CSV that POST rates/effective/batch/ takes (a header row naming some of
ref, importer, origin, hs, value, quantity, unit, content_value, currency, claims); the
answer is the CSV that endpoint gives with `format=csv`, one row per line, to stdout or
`--output`, and the totals on stderr. Lines are priced in slices of the endpoint's size,
each slice in a fixed number of queries, with a progress bar.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rest_framework import serializers
from tqdm import tqdm

from agreements import engine
from agreements.api.engine import (
    CLAIM_INPUT_REGEX,
    CSV_LINE_COLUMNS,
    MAX_LINES,
    answer_entry,
    check_refs,
    csv_answer,
    csv_line,
    entry_totals,
    header_problem,
)

_CLAIM = re.compile(CLAIM_INPUT_REGEX)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from error


def _claim(value: str) -> str:
    if not _CLAIM.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a program indicator (S, KR, A+)")
    return value.upper()


class Command(BaseCommand):
    help = "Price every line of a CSV entry file; prints one CSV row per line and the totals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV of lines with a header row ('-' for stdin).")
        parser.add_argument("--date", type=_date, default=None, help="YYYY-MM-DD (default today).")
        parser.add_argument(
            "--claim",
            type=_claim,
            action="append",
            default=[],
            help="A preference every line claims unless its claims cell names its own; repeatable.",
        )
        parser.add_argument(
            "--scenario", choices=[s.value for s in engine.Scenario], default="in_force"
        )
        parser.add_argument("--output", help="Write the CSV here instead of stdout.")
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (for logs)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = self._read(options["file"])
        try:
            refs = check_refs(rows)
        except serializers.ValidationError as error:
            raise CommandError(_errors(error.detail)) from error
        on = options["date"] or timezone.localdate()
        scenario = engine.Scenario(options["scenario"])
        lines: list[dict[str, Any]] = []
        with tqdm(
            total=len(rows),
            unit="line",
            disable=options["no_progress"],
            file=sys.stderr,
            desc="Pricing",
        ) as progress:
            for start in range(0, len(rows), MAX_LINES):
                lines.extend(
                    answer_entry(
                        rows[start : start + MAX_LINES],
                        refs=refs[start : start + MAX_LINES],
                        on=on,
                        claims=options["claim"],
                        scenario=scenario,
                    )
                )
                progress.update(min(MAX_LINES, len(rows) - start))
        out = open(options["output"], "w", newline="") if options["output"] else None  # noqa: SIM115
        try:
            writer = csv.DictWriter(
                out or self.stdout, fieldnames=CSV_LINE_COLUMNS, lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(csv_answer(line) for line in lines)
        finally:
            if out is not None:
                out.close()
        totals = entry_totals(lines)
        for total in totals["by_currency"]:
            self.stderr.write(
                f"{total['currency'] or 'no currency'}: value {total['value']}, duty "
                f"{total['duty_amount']}"
            )
        self.stderr.write(
            f"{totals['lines']} lines: {totals['answered']} answered "
            f"({totals['incomplete']} incomplete), {totals['refused']} refused; "
            + ("complete." if totals["complete"] else "NOT complete: see the rows.")
        )

    def _read(self, name: str) -> list[dict[str, Any]]:
        try:
            handle = sys.stdin if name == "-" else open(name, newline="", encoding="utf-8-sig")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"{name}: {error.strerror}") from error
        try:
            reader = csv.DictReader(handle)
            header = [field.strip() for field in reader.fieldnames or []]
            problem = header_problem(header) if header else "The file has no header row."
            if problem:
                raise CommandError(problem)
            rows = [csv_line({k.strip(): v for k, v in row.items() if k}) for row in reader]
        except (csv.Error, UnicodeDecodeError) as error:
            raise CommandError(f"{name}: not a readable CSV ({error}).") from error
        finally:
            if handle is not sys.stdin:
                handle.close()
        if not rows:
            raise CommandError("The file has no lines.")
        return rows


def _errors(detail: Any) -> str:
    return "; ".join(f"{field}: {message}" for field, message in dict(detail).items())

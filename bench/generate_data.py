"""Deterministic synthetic measures and rate periods for the rate-engine benchmark.

The data grows by covering more importers at a constant density per importer, the way a
real dataset grows when it covers more economies: the benchmark then shows whether a
lookup's cost follows the rows that match it (it should) or the size of the tables.
Rows are written with COPY because a million rows through the ORM take minutes.

It lives with the benchmark, not among the app's commands: it writes outside the audit
history by design and serves only `bench.run`.

Usage: DATABASE_URL=postgres://... python -m bench.generate_data --rates 1000000
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import django
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

SLUG_PREFIX = "bench-"
PERIODS_PER_MEASURE = 10
RATES_PER_IMPORTER = 4_000
PROGRAMS_PER_IMPORTER = 20
FIRST_DAY = dt.date(2020, 1, 1)


class Command(BaseCommand):
    help = "Replace the synthetic benchmark measures (slug bench-*) with N rate periods."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rates", type=int, default=1_000_000, help="Rate periods to create.")
        parser.add_argument("--seed", type=int, default=2025, help="Random seed.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here: the module is run as a script, before Django is set up.
        from agreements.models import Economy, Product
        from agreements.models.choices import EconomyKind

        if connection.vendor != "postgresql":
            raise CommandError("The benchmark dataset is for PostgreSQL (set DATABASE_URL).")
        total_rates: int = options["rates"]
        if total_rates < PERIODS_PER_MEASURE:
            raise CommandError(f"--rates must be at least {PERIODS_PER_MEASURE}.")
        rng = random.Random(options["seed"])
        countries = list(
            Economy.objects.filter(kind=EconomyKind.COUNTRY).values_list("code", flat=True)
        )
        products = list(Product.objects.values_list("code", flat=True))
        if len(countries) < 10 or not products:
            raise CommandError("Load the reference data first: python manage.py seed_data")
        blocs = list(Economy.objects.filter(kind=EconomyKind.BLOC).values_list("code", flat=True))

        importer_count = max(5, min(len(countries), total_rates // RATES_PER_IMPORTER))
        importers = sorted(rng.sample(countries, importer_count))
        measure_count = total_rates // PERIODS_PER_MEASURE

        with transaction.atomic(), connection.cursor() as cursor:
            # A bulk load outlasts the request-sized statement_timeout; lift it for this
            # transaction only.
            cursor.execute("SET LOCAL statement_timeout = 0")
            self._delete_previous(cursor)
            cursor.execute("SELECT coalesce(max(id), 0) FROM agreements_measure")
            first_id = cursor.fetchone()[0] + 1
            measures, links, rates = self._generate(
                rng, first_id, measure_count, importers, countries, blocs, products
            )
            self._copy(cursor, "agreements_measure", MEASURE_COLUMNS, measures)
            self._copy(cursor, "agreements_measure_products", ("measure_id", "product_id"), links)
            self._copy(cursor, "agreements_rate", RATE_COLUMNS, rates)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('agreements_measure', 'id'), "
                "(SELECT max(id) FROM agreements_measure))"
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('agreements_rate', 'id'), "
                "(SELECT max(id) FROM agreements_rate))"
            )
        # Replacing a previous dataset leaves its rows as dead tuples, which slowed lookups
        # on the new one by half in a measured run; reclaim them and refresh the statistics.
        # VACUUM cannot run in a transaction: this is after the atomic block, in autocommit.
        with connection.cursor() as cursor:
            for table in ("agreements_measure", "agreements_measure_products", "agreements_rate"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(
            f"Created {measure_count:,} measures and {measure_count * PERIODS_PER_MEASURE:,} "
            f"rate periods for {importer_count} importers (seed {options['seed']})."
        )

    @staticmethod
    def _delete_previous(cursor: Any) -> None:
        bench = f"SELECT id FROM agreements_measure WHERE slug LIKE '{SLUG_PREFIX}%%'"
        for table in (
            "agreements_rate",
            "agreements_measure_products",
            "agreements_measure_excluded_products",
            "agreements_measure_excluded_origins",
            "agreements_measure_sources",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE measure_id IN ({bench})")
        cursor.execute(f"DELETE FROM agreements_measure WHERE slug LIKE '{SLUG_PREFIX}%%'")

    @staticmethod
    def _generate(
        rng: random.Random,
        first_id: int,
        measure_count: int,
        importers: list[str],
        countries: list[str],
        blocs: list[str],
        products: list[str],
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        now = dt.datetime.now(dt.UTC)
        measures: list[tuple[Any, ...]] = []
        links: list[tuple[Any, ...]] = []
        rates: list[tuple[Any, ...]] = []
        for offset in range(measure_count):
            measure_id = first_id + offset
            importer = importers[offset % len(importers)]
            roll = rng.random()
            if roll < 0.15:
                origin = None
            elif roll < 0.25 and blocs:
                origin = rng.choice(blocs)
            else:
                origin = rng.choice(countries)
                if origin == importer:
                    origin = None
            kind_roll = rng.random()
            kind, basis = (
                ("base", "mfn")
                if kind_roll < 0.15
                else ("all_in", "ieepa")
                if kind_roll < 0.20
                else ("additional", rng.choice(["ieepa", "section_301", "countermeasure"]))
            )
            program = f"{SLUG_PREFIX}{importer.lower()}-{rng.randrange(PROGRAMS_PER_IMPORTER)}"
            measures.append(
                (
                    measure_id,
                    now,
                    now,
                    f"{SLUG_PREFIX}{measure_id}",
                    f"Synthetic measure {measure_id}",
                    importer,
                    origin,
                    basis,
                    f"Synthetic instrument {measure_id}",
                    program,
                    kind,
                    None,
                    "",
                    # Every synthetic measure applies to the customs value without a claim
                    # and yields to nothing, as the measures of the contract's first rules.
                    "value",
                    "",
                    "[]",
                    "[]",
                    "[]",
                    # Kept by the database (migration 0009): its trigger sets the flag from
                    # the product links, whatever is written here.
                    True,
                )
            )
            if rng.random() >= 0.10:
                for code in sorted(set(rng.sample(products, rng.randint(1, 2)))):
                    links.append((measure_id, code))
            rates.extend(_periods(rng, measure_id, now))
        return measures, links, rates

    @staticmethod
    def _copy(
        cursor: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_copy_value(value) for value in row))
            buffer.write("\n")
        buffer.seek(0)
        # Django's cursor wraps psycopg's; COPY needs the driver cursor itself.
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)


MEASURE_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "slug",
    "title",
    "importer_id",
    "origin_id",
    "legal_basis",
    "instrument",
    "program",
    "kind",
    "agreement_id",
    "note",
    "basis",
    "claim",
    "waived_by",
    "yields_to",
    "yields_content_to",
    "covers_all_products",
)
RATE_COLUMNS = (
    "created_at",
    "updated_at",
    "measure_id",
    "rate",
    "valid_from",
    "valid_to",
    "status",
    "note",
    "expression",
    "specific_currency",
    "specific_unit",
)


def _periods(rng: random.Random, measure_id: int, now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """Ten consecutive periods; the last is open-ended. Some are announced or suspended."""
    start = FIRST_DAY + dt.timedelta(days=rng.randrange(365))
    for index in range(PERIODS_PER_MEASURE):
        last = index == PERIODS_PER_MEASURE - 1
        end = None if last else start + dt.timedelta(days=rng.randint(30, 300))
        status_roll = rng.random()
        status = (
            "in_force" if status_roll < 0.9 else "announced" if status_roll < 0.95 else "suspended"
        )
        rate = Decimal(rng.randrange(0, 15_000)) / 100
        # The published text of a plain ad valorem rate, as the importers write it.
        yield (now, now, measure_id, rate, start, end, status, "", f"{rate.normalize():f}%", "", "")
        if end is not None:
            start = end


def _copy_value(value: Any) -> str:
    return r"\N" if value is None else str(value)


if __name__ == "__main__":
    import os
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeapi.settings")
    django.setup()
    call_command(Command(), *sys.argv[1:])

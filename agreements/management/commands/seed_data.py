"""`manage.py seed_data`: reference data (countries, the EU, HS) and the sourced fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from agreements.engine.queries import refresh_statistics
from agreements.management.commands._tariffs import write_summary
from agreements.seeding import CREATED, DELETED, SCHEDULES, UNCHANGED, UPDATED, seed_all


class Command(BaseCommand):
    help = (
        "Load every ISO 3166-1 country, the EU and its dated memberships, the HS nomenclature "
        "and the sourced 2025 fixtures, then the official schedules (the HTS 2025 and 2026 "
        "Basic Editions, the UK Global Tariff and the EU's 2020 CET). Idempotent: a second "
        "run changes nothing and says so."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-schedules",
            action="store_false",
            dest="schedules",
            help="Leave out the official schedules (the slow part: ~80,000 tariff lines).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(items: Iterable[Any], label: str) -> Iterable[Any]:
            # tqdm turns itself off when stderr is not a terminal (CI logs stay clean).
            return tqdm(list(items), desc=label, file=sys.stderr, disable=None, leave=False)

        report = seed_all(progress=progress, schedules=SCHEDULES if options["schedules"] else ())
        refresh_statistics()
        total = 0
        for label, counts in sorted(report.counts.items()):
            total += sum(counts.values())
            self.stdout.write(
                f"{label:>20}: {counts[CREATED]:>6} created, {counts[UPDATED]:>6} updated, "
                f"{counts[UNCHANGED]:>6} unchanged, {counts[DELETED]:>6} deleted"
            )
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Seed data loaded."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Nothing changed: all {total:,} records were up to date.")
            )
        for summary in report.schedules:
            write_summary(self, summary)

"""On PostgreSQL the candidate query is answered from indexes, not by scanning the rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from agreements import rate_queries
from agreements.models import Measure, Rate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_candidate_query_uses_indexes_on_a_large_table() -> None:
    importers = ["FR", "DE", "IT", "ES", "NL", "BE", "SE", "PL", "AT", "DK"]
    measures = Measure.objects.bulk_create(
        Measure(
            slug=f"explain-{n}",
            title=f"Explain {n}",
            importer_id=importers[n % len(importers)],
            origin_id=["CN", "VN", None][n % 3],
            legal_basis="other",
            instrument="test",
            program=f"p{n % 20}",
            kind="additional",
        )
        for n in range(5000)
    )
    start = dt.date(2015, 1, 1)
    Rate.objects.bulk_create(
        Rate(
            measure=measure,
            rate=Decimal(index % 50),
            valid_from=start + dt.timedelta(days=90 * period),
            valid_to=start + dt.timedelta(days=90 * (period + 1)),
        )
        for index, measure in enumerate(measures)
        for period in range(10)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agreements_rate")
        cursor.execute("ANALYZE agreements_measure")
    query, params = rate_queries.candidates_sql(
        importer="FR",
        origins=["CN", "EU"],
        prefixes=["95", "950", "9503", "95030", "950300"],
        statuses=["in_force"],
        start=dt.date(2016, 1, 1),
        end=dt.date(2016, 1, 2),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on agreements_rate" not in plan, plan
    assert "Index" in plan, plan

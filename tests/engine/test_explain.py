"""On PostgreSQL the candidate query is answered from indexes, not by scanning the rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from agreements.engine import Scenario, candidate_rates
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
    query = candidate_rates(
        importer="FR",
        origins=["CN", "EU"],
        hs="950300",
        start=dt.date(2016, 1, 1),
        end=dt.date(2016, 1, 2),
        scenario=Scenario.IN_FORCE,
    )
    plan = query.explain()
    assert "Seq Scan on agreements_rate" not in plan, plan
    assert "Index" in plan, plan

"""On PostgreSQL the candidate query is answered from indexes, not by scanning the rates."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from agreements.engine import effective_rate, queries
from agreements.models import Measure, Product, Rate, TariffLine
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
IMPORTERS = ["XA", "XB", "XC", "XD", "XF", "XG", "XH", "XI", "XJ", "XK"]
ORIGINS = ["XL", "XM", "XE", None]
BLOC, MEMBER = "XE", "XN"  # The looked-up origin belongs to the bloc.
LINES = 6_000  # About as many lines as the HS has at six digits.
MEASURES, PERIODS = 5000, 10  # 50,000 rate periods.


@pytest.fixture
def large_tables() -> None:
    """Many importers, origins, programs and HS scopes, ten consecutive periods each."""
    for code in [*IMPORTERS, *ORIGINS]:
        if code is not None and code != BLOC:
            factories.economy(code)
    factories.bloc(BLOC, members=[(MEMBER, "2000-01-01", None)])
    factories.product("950300")
    factories.products_in_bulk([str(code) for code in range(100_000, 100_000 + LINES)])
    codes = list(Product.objects.order_by("code").values_list("code", flat=True))
    measures = Measure.objects.bulk_create(
        Measure(
            slug=f"explain-{n}",
            title=f"Explain {n}",
            importer_id=IMPORTERS[n % len(IMPORTERS)],
            origin_id=ORIGINS[n % 4],
            legal_basis="other",
            instrument="test",
            program=f"p{n % 20}",
            kind="additional",
        )
        for n in range(MEASURES)
    )
    scoped = Measure.products.through
    scoped.objects.bulk_create(
        scoped(measure_id=measure.pk, product_id=codes[(index * 7919) % len(codes)])
        for index, measure in enumerate(measures)
        if index % 7  # Six in seven measures name products; the rest cover all goods.
    )
    start = dt.date(2015, 1, 1)
    Rate.objects.bulk_create(
        (
            Rate(
                measure=measure,
                rate=Decimal(index % 50),
                valid_from=start + dt.timedelta(days=90 * period),
                valid_to=start + dt.timedelta(days=90 * (period + 1)),
            )
            for index, measure in enumerate(measures)
            for period in range(PERIODS)
        ),
        batch_size=10_000,
    )
    # One importer with a national tariff as large as the HTS's 8- and 10-digit lines; the
    # others have none, as most importers of the shipped data.
    TariffLine.objects.bulk_create(
        (
            TariffLine(
                importer_id=IMPORTERS[0],
                code=f"{code}{suffix:02d}",
                parent_code=code,
                description="Bulk line",
                valid_from=start,
                edition="explain",
            )
            for code in codes[:3000]
            for suffix in range(0, 100, 10)
        ),
        batch_size=10_000,
    )
    with connection.cursor() as cursor:
        for model in (Rate, Measure, scoped, TariffLine):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def plan_of(query: str, params: list[Any]) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.usefixtures("large_tables")
def test_candidate_query_uses_indexes_on_a_large_table() -> None:
    assert Rate.objects.count() >= MEASURES * PERIODS
    query, params = queries.candidates_sql(
        importer="XA",
        origins=[MEMBER, BLOC],
        prefixes=["95", "950", "9503", "95030", "950300"],
        statuses=["in_force"],
        start=dt.date(2016, 1, 1),
        end=dt.date(2016, 1, 2),
    )
    plan = plan_of(query, params)
    assert "Seq Scan on agreements_rate" not in plan, plan
    assert "Seq Scan on agreements_measure " not in plan, plan
    assert re.search(r"Index (Only )?Scan using \w+ on agreements_rate\b", plan), plan
    # The two ways in: the all-goods measures' partial index, and the products index for the
    # measures that name one of the code's prefixes; neither walks the importer's measures.
    assert "measure_all_goods_idx" in plan, plan
    assert re.search(r"Index (Only )?Scan on agreements_measure_products_product_id\w*", plan), plan


def generic_plan_of(query: str, params: list[Any]) -> str:
    """The plan PostgreSQL keeps for a prepared statement once it stops planning each run.

    The engine's statements are prepared (settings' prepare_threshold) and run on one
    generic plan (settings' plan_cache_mode), made without the parameters' values: a plan
    that is fine for the importer with every line but scans the whole table for one with
    none cost lookups 15 ms instead of 1 (measured on the synthetic benchmark's importers).
    """
    numbers = iter(range(1, len(params) + 1))
    prepared = re.sub(r"%s", lambda _: f"${next(numbers)}", query)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE generic_plan_probe AS {prepared}")
        try:
            cursor.execute(
                f"EXPLAIN EXECUTE generic_plan_probe({', '.join(['%s'] * len(params))})",
                params,
            )
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE generic_plan_probe")


@pytest.mark.usefixtures("large_tables")
@pytest.mark.parametrize("importer", [IMPORTERS[0], IMPORTERS[1]])
def test_the_prepared_queries_generic_plans_scan_no_table(importer: str) -> None:
    prefixes = ["95", "950", "9503", "95030", "950300"]
    on = dt.date(2016, 1, 1)
    for query, params in (
        queries.economies_sql(
            importer=importer,
            codes=[importer, MEMBER],
            prefixes=prefixes,
            start=on,
            end=on + dt.timedelta(days=1),
        ),
        queries.candidates_sql(
            importer=importer,
            origins=[MEMBER, BLOC],
            prefixes=prefixes,
            statuses=["in_force"],
            start=on,
            end=on + dt.timedelta(days=1),
        ),
    ):
        plan = generic_plan_of(query, params)
        for table in ("agreements_tariffline", "agreements_rate", "agreements_measure "):
            assert f"Seq Scan on {table}" not in plan, plan


def test_refresh_statistics_gives_the_planner_the_loaded_row_counts() -> None:
    factories.measure(products=["950300"])
    factories.measure()
    count = Measure.objects.count()

    def estimated() -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [Measure._meta.db_table]
            )
            return float(cursor.fetchone()[0])

    # Not analysed since these rows were written (they are not committed: autovacuum cannot
    # have seen them).
    assert estimated() != count
    queries.refresh_statistics()
    assert estimated() == count


@pytest.mark.usefixtures("large_tables")
def test_a_lookup_on_the_large_table_still_costs_at_most_three_queries(
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(3):
        result = effective_rate(importer="XA", origin=MEMBER, hs="950300", on=dt.date(2016, 1, 1))
    # Some all-goods measures on the bloc or all origins reach its member's toys: the data is
    # really read.
    assert result.duty.components
    assert all(c.valid_from <= dt.date(2016, 1, 1) for c in result.duty.components)


def test_a_list_in_an_entry_query_comes_back_whole() -> None:
    # An entry's lists travel as one array in PostgreSQL's text form (queries._in): every
    # element must come back as sent, whatever characters it holds.
    values = ['a"b', "c\\d", "x,y", "{z}", " s ", "NULL", "", "é"]
    clause, params = queries._in("v", values)
    source = " UNION ALL ".join(["SELECT CAST(%s AS text) AS v"] * len(values))
    rows = queries.fetch(f"SELECT v FROM ({source}) t WHERE {clause}", [*values, *params])
    assert sorted(row[0] for row in rows) == sorted(values)
    clause, params = queries._in("n", [1, 22, 333])
    rows = queries.fetch(f"SELECT n FROM (SELECT 22 AS n) t WHERE {clause}", params)
    assert rows == [(22,)]

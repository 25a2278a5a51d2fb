"""The rate engine's three queries, as SQL written once.

Building these through the ORM cost about 5 ms a lookup in query construction and
compilation alone (profiled: three times the database time), on the hot path of the service.
The SQL below is what the ORM produced, written once and run through Django's own cursor,
so it works on SQLite and PostgreSQL, counts in query assertions and joins transactions.
Table names come from the models, so a renamed table cannot silently break it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg
from django.db import connection

from agreements.models import Agreement, BlocMembership, Economy, Measure, Product, Rate

RATE = Rate._meta.db_table
MEASURE = Measure._meta.db_table
AGREEMENT = Agreement._meta.db_table
ECONOMY = Economy._meta.db_table
MEMBERSHIP = BlocMembership._meta.db_table
PRODUCT = Product._meta.db_table
MEASURE_PRODUCTS = Measure.products.through._meta.db_table
EXCLUDED_PRODUCTS = Measure.excluded_products.through._meta.db_table
EXCLUDED_ORIGINS = Measure.excluded_origins.through._meta.db_table


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def economies_sql(codes: Sequence[str], prefixes: Sequence[str]) -> tuple[str, list[Any]]:
    """Query 1: the economies named, each origin's memberships, and the most specific known
    product line (of one code's prefixes the longest is also the greatest string)."""
    where = f"FROM {PRODUCT} WHERE code IN ({_placeholders(prefixes)}) ORDER BY code DESC LIMIT 1"
    sql = (
        f"SELECT e.code, m.bloc_id, m.joined_on, m.left_on, "
        f"(SELECT code {where}), (SELECT description {where}) "
        f"FROM {ECONOMY} e LEFT OUTER JOIN {MEMBERSHIP} m ON m.member_id = e.code "
        f"WHERE e.code IN ({_placeholders(codes)})"
    )
    return sql, [*prefixes, *prefixes, *codes]


def candidates_sql(
    *,
    importer: str,
    origins: Sequence[str],
    prefixes: Sequence[str],
    statuses: Sequence[str],
    start: dt.date,
    end: dt.date | None,
) -> tuple[str, list[Any]]:
    """Query 2: rate periods overlapping [start, end) of measures that could apply; `end`
    None means through the last representable day (the day after 9999-12-31 does not exist).

    `origins` is the shipment's origin and every bloc it has belonged to; whether a bloc
    counted on a given date is decided in Python. Product scope is decided here: the measure
    has no products, or one is a prefix of the HS code (the longest such prefix is returned
    as the matched product), and no excluded product is.
    """
    prefix_list = _placeholders(prefixes)
    sql = (
        f"SELECT r.id, r.rate, r.valid_from, r.valid_to, r.status, m.id, m.title, "
        f"m.legal_basis, m.instrument, m.program, m.kind, m.origin_id, a.slug, "
        f"(SELECT MAX(p.product_id) FROM {MEASURE_PRODUCTS} p "
        f"WHERE p.measure_id = m.id AND p.product_id IN ({prefix_list})) AS matched "
        f"FROM {RATE} r INNER JOIN {MEASURE} m ON m.id = r.measure_id "
        f"LEFT OUTER JOIN {AGREEMENT} a ON a.id = m.agreement_id "
        f"WHERE m.importer_id = %s "
        f"AND (m.origin_id IS NULL OR m.origin_id IN ({_placeholders(origins)})) "
        f"AND r.status IN ({_placeholders(statuses)}) "
        f"{'AND r.valid_from < %s ' if end is not None else ''}"
        f"AND (r.valid_to IS NULL OR r.valid_to > %s) "
        f"AND (NOT EXISTS (SELECT 1 FROM {MEASURE_PRODUCTS} p WHERE p.measure_id = m.id) "
        f"OR EXISTS (SELECT 1 FROM {MEASURE_PRODUCTS} p "
        f"WHERE p.measure_id = m.id AND p.product_id IN ({prefix_list}))) "
        f"AND NOT EXISTS (SELECT 1 FROM {EXCLUDED_PRODUCTS} x "
        f"WHERE x.measure_id = m.id AND x.product_id IN ({prefix_list}))"
    )
    params = [
        *prefixes,
        importer,
        *origins,
        *statuses,
        *([end] if end is not None else []),
        start,
        *prefixes,
        *prefixes,
    ]
    return sql, params


def excluded_origins_sql(
    measure_ids: Sequence[int], origins: Sequence[str]
) -> tuple[str, list[Any]]:
    """Query 3: excluded origins of all-origins candidates that concern this shipment."""
    sql = (
        f"SELECT measure_id, economy_id FROM {EXCLUDED_ORIGINS} "
        f"WHERE measure_id IN ({_placeholders(measure_ids)}) "
        f"AND economy_id IN ({_placeholders(origins)})"
    )
    return sql, [*measure_ids, *origins]


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    # Django's PostgreSQL cursors bind parameters client-side, so each lookup sends new SQL
    # text and PostgreSQL plans it from scratch (planning measured 1.8 ms against 2.5 ms of
    # execution at 1M rows). A server-binding cursor on the same connection, and so in the
    # same transaction, lets psycopg prepare these statements once per connection. Django
    # still wraps it, so query logging and the query-count assertions see every query.
    connection.ensure_connection()
    server_binding = psycopg.Cursor(connection.connection)
    # The stubs expect a wrapper here, but Django passes the driver's cursor to these
    # methods itself (BaseDatabaseWrapper._prepare_cursor).
    wrapper = (
        connection.make_debug_cursor(server_binding)  # type: ignore[arg-type]
        if connection.queries_logged
        else connection.make_cursor(server_binding)  # type: ignore[arg-type]
    )
    with wrapper as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def as_date(value: Any) -> dt.date | None:
    """SQLite returns dates as ISO strings through a raw cursor; PostgreSQL as dates."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def as_decimal(value: Any) -> Decimal:
    """SQLite returns decimals as numbers through a raw cursor; PostgreSQL as Decimals.
    Rates have two places, so rounding the float's text form recovers the stored value."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))

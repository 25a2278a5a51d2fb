"""The rate engine's three queries, as SQL written once.

Building these through the ORM cost about 5 ms a lookup in query construction and
compilation alone (profiled: three times the database time), on the hot path of the service.
The SQL below is what the ORM produced, written once and run through Django's own cursor,
so it works on SQLite and PostgreSQL, counts in query assertions and joins transactions.
Table names come from the models, so a renamed table cannot silently break it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, connections, router

from agreements.models import (
    Agreement,
    BlocMembership,
    Economy,
    Measure,
    Product,
    Rate,
    TariffLine,
)
from tradeapi.db.cursors import prepared_cursor

RATE = Rate._meta.db_table
MEASURE = Measure._meta.db_table
AGREEMENT = Agreement._meta.db_table
ECONOMY = Economy._meta.db_table
MEMBERSHIP = BlocMembership._meta.db_table
PRODUCT = Product._meta.db_table
TARIFF_LINE = TariffLine._meta.db_table
MEASURE_PRODUCTS = Measure.products.through._meta.db_table
EXCLUDED_PRODUCTS = Measure.excluded_products.through._meta.db_table
EXCLUDED_ORIGINS = Measure.excluded_origins.through._meta.db_table


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def economies_sql(
    *,
    importer: str,
    codes: Sequence[str],
    prefixes: Sequence[str],
    start: dt.date,
    end: dt.date | None,
) -> tuple[str, list[Any]]:
    """Query 1: the economies named, each origin's memberships, and what the answer says
    about the question rather than the duty, computed once per query (constant subqueries):

    - the most specific known line: the importer's own tariff line in force on `start`,
      else the HS nomenclature's (of one code's prefixes the longest is also the greatest
      string);
    - whether the importer has a tariff at all, and a line that is the code or lies under
      it during [start, end);
    - whether the importer has any measure, and a rate period overlapping [start, end).

    The existence checks are written as `(SELECT 1 ... ORDER BY <index columns> LIMIT 1) IS
    NOT NULL`, not EXISTS, because the statement is prepared and PostgreSQL may run it on a
    generic plan, made without the importer's value: it then expects a third of the tariff
    lines (or a tenth of the measures) to be any importer's and scans the table for the first,
    which for an importer with none reads it all (15 ms a lookup on the synthetic benchmark,
    against 1 ms). An ORDER BY that an index satisfies makes the index the cheaper plan for
    every value; EXISTS would drop it. tests/engine/test_explain.py holds the generic plans
    to index scans.
    """
    last = end if end is not None else dt.date.max
    # A tariff line's code has 8 or 10 digits (its check constraint), so only those prefixes
    # can be one; "" matches none. Fewer parameters also keep the statement under psycopg's
    # limit for caching its conversion (50): a ten-digit code's 54 cost a quarter of a
    # millisecond a lookup in re-parsing the query text.
    line_codes = [p for p in prefixes if len(p) in (8, 10)] or [""]
    line_on = (
        f"FROM {TARIFF_LINE} WHERE importer_id = %s AND code IN ({_placeholders(line_codes)}) "
        f"AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) "
        f"ORDER BY code DESC LIMIT 1"
    )
    line_params = [importer, *line_codes, start, start]
    product = f"FROM {PRODUCT} WHERE code IN ({_placeholders(prefixes)}) ORDER BY code DESC LIMIT 1"
    code = prefixes[-1]
    # Codes are digit strings: every code starting with `code` sorts in [code, code + ":").
    under = (
        f"SELECT 1 FROM {TARIFF_LINE} WHERE importer_id = %s AND code >= %s AND code < %s "
        f"AND valid_from < %s AND (valid_to IS NULL OR valid_to > %s)"
    )
    covered = (
        f"SELECT 1 FROM {RATE} r INNER JOIN {MEASURE} m ON m.id = r.measure_id "
        f"WHERE m.importer_id = %s AND r.valid_from < %s "
        f"AND (r.valid_to IS NULL OR r.valid_to > %s) "
        f"ORDER BY m.importer_id, m.origin_id LIMIT 1"
    )
    sql = (
        f"SELECT e.code, m.bloc_id, m.joined_on, m.left_on, "
        f"(SELECT code {line_on}), (SELECT description {line_on}), "
        f"(SELECT code {product}), (SELECT description {product}), "
        f"(SELECT 1 FROM {TARIFF_LINE} WHERE importer_id = %s "
        f"ORDER BY importer_id, code LIMIT 1) IS NOT NULL, "
        f"EXISTS ({under}), "
        f"(SELECT 1 FROM {MEASURE} WHERE importer_id = %s "
        f"ORDER BY importer_id, origin_id LIMIT 1) IS NOT NULL, "
        f"({covered}) IS NOT NULL "
        f"FROM {ECONOMY} e LEFT OUTER JOIN {MEMBERSHIP} m ON m.member_id = e.code "
        f"WHERE e.code IN ({_placeholders(codes)})"
    )
    params = [
        *line_params,
        *line_params,
        *prefixes,
        *prefixes,
        importer,
        importer,
        code,
        f"{code}:",
        last,
        start,
        importer,
        importer,
        last,
        start,
        *codes,
    ]
    return sql, params


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
    # Two branches, each led by its own index: the importer's all-goods measures (a partial
    # index, ~150 for the US) and the measures naming one of the code's prefixes (the
    # products index; the longest prefix is the matched product). One condition over both
    # ("no products, or a matching one") made PostgreSQL read all ~15,000 of the importer's
    # line measures per lookup on the loaded HTS.
    columns = (
        "r.id, r.rate, r.valid_from, r.valid_to, r.status, m.id, m.title, m.legal_basis, "
        "m.instrument, m.program, m.kind, m.origin_id, a.slug, m.claim, m.waived_by, "
        "m.yields_to, m.basis, r.expression, r.specific_amount, r.specific_currency, "
        "r.specific_unit, m.yields_content_to"
    )
    joins = (
        f"INNER JOIN {RATE} r ON r.measure_id = m.id "
        f"LEFT OUTER JOIN {AGREEMENT} a ON a.id = m.agreement_id"
    )
    conditions = (
        f"m.importer_id = %s "
        f"AND (m.origin_id IS NULL OR m.origin_id IN ({_placeholders(origins)})) "
        f"AND r.status IN ({_placeholders(statuses)}) "
        f"{'AND r.valid_from < %s ' if end is not None else ''}"
        f"AND (r.valid_to IS NULL OR r.valid_to > %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {EXCLUDED_PRODUCTS} x "
        f"WHERE x.measure_id = m.id AND x.product_id IN ({prefix_list}))"
    )
    condition_params = [
        importer,
        *origins,
        *statuses,
        *([end] if end is not None else []),
        start,
        *prefixes,
    ]
    sql = (
        f"SELECT {columns}, NULL FROM {MEASURE} m {joins} "
        f"WHERE m.covers_all_products AND {conditions} "
        f"UNION ALL "
        f"SELECT {columns}, s.matched FROM (SELECT measure_id, MAX(product_id) AS matched "
        f"FROM {MEASURE_PRODUCTS} WHERE product_id IN ({prefix_list}) GROUP BY measure_id) s "
        f"INNER JOIN {MEASURE} m ON m.id = s.measure_id {joins} "
        f"WHERE {conditions}"
    )
    return sql, [*condition_params, *prefixes, *condition_params]


def excluded_origins_sql(
    measure_ids: Sequence[int], origins: Sequence[str]
) -> tuple[str, list[Any]]:
    """Query 3: excluded origins of all-origins candidates that concern this shipment."""
    ids_in, ids_params = _in("measure_id", measure_ids)
    origins_in, origins_params = _in("economy_id", origins)
    sql = f"SELECT measure_id, economy_id FROM {EXCLUDED_ORIGINS} WHERE {ids_in} AND {origins_in}"
    return sql, [*ids_params, *origins_params]


def refresh_statistics() -> None:
    """After a bulk load, the planner's statistics of the tables these queries read.

    Until autovacuum gets to it, PostgreSQL plans from the statistics of the tables before the
    load: right after `seed_data` on an empty database, query 2 was planned for a one-row
    measure table and took 9.8 s instead of 0.4 ms. ANALYZE samples each table (about 0.1 s
    for all of them on the loaded HTS) and may run inside the loader's transaction. SQLite's
    planner keeps no such statistics unless asked, and plans these queries from the indexes.
    """
    if connection.vendor != "postgresql":
        return
    tables = (
        RATE,
        MEASURE,
        MEASURE_PRODUCTS,
        EXCLUDED_PRODUCTS,
        EXCLUDED_ORIGINS,
        TARIFF_LINE,
        PRODUCT,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    # Where the ORM reads the data from (a replica, when the router picks one), so a lookup
    # and the data version its answer is cached under come from the same database.
    connection = connections[router.db_for_read(Rate)]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    # Planning measured 1.8 ms against 2.5 ms of execution at 1M rows: these statements are
    # prepared once per connection (tradeapi.db.cursors).
    wrapper = prepared_cursor(connection)
    with wrapper as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def as_date(value: Any) -> dt.date | None:
    """SQLite returns dates as ISO strings through a raw cursor; PostgreSQL as dates."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def as_list(value: Any) -> list[str]:
    """JSON lists come back parsed from PostgreSQL and as text from SQLite."""
    if isinstance(value, str):
        value = json.loads(value)
    return [str(item) for item in value or ()]


def as_amount(value: Any) -> Decimal | None:
    """A specific duty's amount at its stored precision (4.4 cents is 0.044 dollars)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).normalize()


def as_bool(value: Any) -> bool:
    """SQLite answers EXISTS with 0 or 1."""
    return bool(value)


def as_decimal(value: Any) -> Decimal:
    """SQLite returns decimals as numbers through a raw cursor; PostgreSQL as Decimals.
    Rates have two places, so rounding the float's text form recovers the stored value."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


# An entry's queries: the same tables and rules as the three above, for many lookups at once
# (agreements.engine.batch). Each is one statement whatever the number of lines; the lists
# of codes are bounded by the entry's size limit.


def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (values)` and its parameters, for lists as long as an entry's.

    PostgreSQL gets the list as one array parameter, unnested into a subquery. With one
    placeholder per value, a 1,000-line entry's queries (up to 14,000 values) spent more
    time in psycopg converting the query text than in running it; and `= ANY(array)` made
    the planner estimate each element's selectivity (69 ms to plan a query that ran in 2 ms).
    An unnested array is planned as a set of rows, joined through the column's index."""
    if connection.vendor == "postgresql":
        kind = "bigint" if values and isinstance(values[0], int) else "text"
        return f"{column} IN (SELECT unnest(CAST(%s AS {kind}[])))", [_array_literal(values)]
    return f"{column} IN ({_placeholders(values)})", list(values)


def _array_literal(values: Sequence[Any]) -> str:
    """An array in PostgreSQL's text form, `{"01","0101"}`, which the CAST reads.

    psycopg adapts a Python list element by element in Python: about 5 ms for the 6,000
    prefixes of a 1,000-line entry, which four of its queries send. The text form is one
    string. Every element is quoted, so a comma, brace or space in it stays inside it; a
    quote or backslash in one is escaped (codes have none, so the join is usually all)."""
    elements = [str(value) for value in values]
    body = '","'.join(elements)
    if "\\" in body or body.count('"') != 2 * (len(elements) - 1):
        body = '","'.join(e.replace("\\", "\\\\").replace('"', '\\"') for e in elements)
    return '{"' + body + '"}' if elements else "{}"


def entry_economies_sql(
    *, codes: Sequence[str], importers: Sequence[str], start: dt.date, end: dt.date
) -> tuple[str, list[Any]]:
    """The economies named with their memberships and, for each importer, whether it has a
    tariff, any measure, and a rate period overlapping [start, end) (query 1's flags).

    The flags are asked of the importers only (CASE evaluates them for those rows alone):
    asked of every origin too, each origin with no measures made PostgreSQL search all the
    rate periods for one, about 60 ms an origin on the loaded HTS."""
    is_importer, importer_params = _in("e.code", importers)
    economy_in, code_params = _in("e.code", codes)
    sql = (
        f"SELECT e.code, m.bloc_id, m.joined_on, m.left_on, "
        f"CASE WHEN {is_importer} THEN "
        f"EXISTS (SELECT 1 FROM {TARIFF_LINE} t WHERE t.importer_id = e.code) END, "
        f"CASE WHEN {is_importer} THEN "
        f"EXISTS (SELECT 1 FROM {MEASURE} x WHERE x.importer_id = e.code) END, "
        f"CASE WHEN {is_importer} THEN "
        f"EXISTS (SELECT 1 FROM {RATE} r INNER JOIN {MEASURE} y ON y.id = r.measure_id "
        f"WHERE y.importer_id = e.code AND r.valid_from < %s "
        f"AND (r.valid_to IS NULL OR r.valid_to > %s)) END "
        f"FROM {ECONOMY} e LEFT OUTER JOIN {MEMBERSHIP} m ON m.member_id = e.code "
        f"WHERE {economy_in}"
    )
    params = [*importer_params, *importer_params, *importer_params, end, start, *code_params]
    return sql, params


def entry_tariff_lines_sql(
    *,
    importers: Sequence[str],
    prefixes: Sequence[str],
    codes: Sequence[str],
    start: dt.date,
    end: dt.date,
) -> tuple[str, list[Any]]:
    """Tariff lines in force during [start, end) that are a prefix of a line's code (the most
    specific known line, with its description), and the codes asked that some line lies
    under (whether the code is in the tariff: `description` null).

    "Lies under" is asked per code length, `substr(code, 1, n) IN (...)`, one pass over the
    importer's lines: a thousand `code >= x AND code < x:` ranges OR-ed together made
    PostgreSQL plan and scan for longer than the statement timeout.
    """
    by_length: dict[int, list[str]] = {}
    for code in codes:
        by_length.setdefault(len(code), []).append(code)
    dates = "valid_from < %s AND (valid_to IS NULL OR valid_to > %s)"
    importer_in, importer_params = _in("importer_id", importers)
    prefix_in, prefix_params = _in("code", prefixes)
    under_parts, under_params = [], []
    for length, group in sorted(by_length.items()):
        part, part_params = _in(f"SUBSTR(code, 1, {length})", group)
        under_parts.append(part)
        under_params.extend(part_params)
    sql = (
        f"SELECT importer_id, code, description, valid_from FROM {TARIFF_LINE} "
        f"WHERE {importer_in} AND {dates} AND {prefix_in} "
        f"UNION ALL "
        f"SELECT DISTINCT importer_id, code, NULL, CAST(NULL AS DATE) FROM ("
        f"SELECT importer_id, code FROM {TARIFF_LINE} "
        f"WHERE {importer_in} AND {dates} AND ({' OR '.join(under_parts)})) lines"
    )
    params: list[Any] = [
        *importer_params,
        end,
        start,
        *prefix_params,
        *importer_params,
        end,
        start,
        *under_params,
    ]
    return sql, params


def entry_products_sql(prefixes: Sequence[str]) -> tuple[str, list[Any]]:
    """The HS nomenclature's lines among the lines' prefixes."""
    code_in, params = _in("code", prefixes)
    return f"SELECT code, description FROM {PRODUCT} WHERE {code_in}", params


def entry_candidates_sql(
    *,
    importers: Sequence[str],
    origins: Sequence[str],
    prefixes: Sequence[str],
    statuses: Sequence[str],
    start: dt.date,
    end: dt.date,
) -> tuple[str, list[Any]]:
    """Query 2 for every line at once: the periods of measures of the entry's importers, on
    its origins (and every bloc they belonged to) or all origins, covering all goods or one
    of the lines' prefixes. Which line each matches is decided in Python from the products
    query below; `scoped` says whether the measure names products at all."""
    all_goods_in, all_goods_params = _in("importer_id", importers)
    products_in, products_params = _in("product_id", prefixes)
    importer_in, importer_params = _in("m.importer_id", importers)
    origin_in, origin_params = _in("m.origin_id", origins)
    status_in, status_params = _in("r.status", statuses)
    sql = (
        f"SELECT r.id, r.rate, r.valid_from, r.valid_to, r.status, m.id, m.title, "
        f"m.legal_basis, m.instrument, m.program, m.kind, m.origin_id, a.slug, "
        f"m.claim, m.waived_by, m.yields_to, m.basis, r.expression, r.specific_amount, "
        f"r.specific_currency, r.specific_unit, m.importer_id, "
        f"NOT m.covers_all_products AS scoped, m.yields_content_to "
        # As in query 2: all-goods measures from their partial index, the others found from
        # the lines' prefixes in the products index.
        f"FROM (SELECT id AS measure_id FROM {MEASURE} "
        f"WHERE {all_goods_in} AND covers_all_products "
        f"UNION SELECT measure_id FROM {MEASURE_PRODUCTS} WHERE {products_in}) s "
        f"INNER JOIN {MEASURE} m ON m.id = s.measure_id "
        f"INNER JOIN {RATE} r ON r.measure_id = m.id "
        f"LEFT OUTER JOIN {AGREEMENT} a ON a.id = m.agreement_id "
        f"WHERE {importer_in} AND (m.origin_id IS NULL OR {origin_in}) AND {status_in} "
        f"AND r.valid_from < %s AND (r.valid_to IS NULL OR r.valid_to > %s)"
    )
    params = [
        *all_goods_params,
        *products_params,
        *importer_params,
        *origin_params,
        *status_params,
        end,
        start,
    ]
    return sql, params


def entry_scopes_sql(measure_ids: Sequence[int], prefixes: Sequence[str]) -> tuple[str, list[Any]]:
    """The candidates' products and excluded products among the lines' prefixes: `1` for a
    product in scope, `0` for an excluded one."""
    ids_in, ids_params = _in("measure_id", measure_ids)
    codes_in, codes_params = _in("product_id", prefixes)
    sql = (
        f"SELECT measure_id, product_id, 1 FROM {MEASURE_PRODUCTS} WHERE {ids_in} AND {codes_in} "
        f"UNION ALL SELECT measure_id, product_id, 0 FROM {EXCLUDED_PRODUCTS} "
        f"WHERE {ids_in} AND {codes_in}"
    )
    return sql, [*ids_params, *codes_params, *ids_params, *codes_params]

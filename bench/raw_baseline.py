"""The benchmark's yardstick: `rates/effective/` answered by raw psycopg behind bare WSGI.

It applies the rules of API.md ("The rate engine") to the same tables as the Django app, with
no framework, ORM or serializer in the way, so the ratio between the two measures what the
stack costs. It is not part of the service and handles only the in_force scenario.

Run: DATABASE_URL=postgres://... gunicorn bench.raw_baseline:application
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import psycopg

# The tariff's duty-text parser (pure Python, no Django): whether a published duty is a
# percentage and a specific part, or text the answer must not count as 0 (API.md rule 2).
from agreements.tariffs.duties import parse_duty

# The engine's query 2 in the same shape (agreements.engine.queries.candidates_sql): the
# importer's all-goods measures from their partial index, the others from the products index.
_CANDIDATE_COLUMNS = """
       m.id, m.title, m.legal_basis, m.instrument, m.program, m.kind, m.origin_id,
       e.kind AS origin_kind, a.slug, r.id, r.rate, r.valid_from, r.valid_to"""
_CANDIDATE_TAIL = """
       m.claim, m.yields_to, m.basis, m.yields_content_to, r.expression,
       EXISTS (SELECT 1 FROM agreements_measure_excluded_products xp
                WHERE xp.measure_id = m.id AND xp.product_id = ANY(%(prefixes)s)),
       EXISTS (SELECT 1 FROM agreements_measure_excluded_origins xo
                WHERE xo.measure_id = m.id AND xo.economy_id = %(origin)s)"""
_CANDIDATE_WHERE = """
  m.importer_id = %(importer)s
  AND (m.origin_id IS NULL OR m.origin_id = %(origin)s OR m.origin_id IN (
        SELECT bloc_id FROM agreements_blocmembership
         WHERE member_id = %(origin)s AND joined_on <= %(date)s
           AND (left_on IS NULL OR left_on > %(date)s)))
  AND r.status = 'in_force' AND r.valid_from <= %(date)s
  AND (r.valid_to IS NULL OR r.valid_to > %(date)s)"""
_CANDIDATE_JOINS = """
JOIN agreements_rate r ON r.measure_id = m.id
LEFT JOIN agreements_economy e ON e.code = m.origin_id
LEFT JOIN agreements_agreement a ON a.id = m.agreement_id"""
CANDIDATES_SQL = f"""
SELECT {_CANDIDATE_COLUMNS}, NULL, {_CANDIDATE_TAIL}
FROM agreements_measure m {_CANDIDATE_JOINS}
WHERE m.covers_all_products AND {_CANDIDATE_WHERE}
UNION ALL
SELECT {_CANDIDATE_COLUMNS}, s.matched, {_CANDIDATE_TAIL}
FROM (SELECT measure_id, max(product_id) AS matched FROM agreements_measure_products
       WHERE product_id = ANY(%(prefixes)s) GROUP BY measure_id) s
JOIN agreements_measure m ON m.id = s.measure_id {_CANDIDATE_JOINS}
WHERE {_CANDIDATE_WHERE}
"""
ECONOMIES_SQL = "SELECT code FROM agreements_economy WHERE code = ANY(%s)"
PRODUCT_SQL = (
    "SELECT code, description FROM agreements_product WHERE code = ANY(%s) "
    "ORDER BY length(code) DESC LIMIT 1"
)
HS_RE = re.compile(r"^[0-9]{2,10}$")
CODE_RE = re.compile(r"^[A-Z]{2}$")
TWO_PLACES = Decimal("0.01")

_connection: psycopg.Connection[Any] | None = None


def _db() -> psycopg.Connection[Any]:
    # One connection per worker process, opened on first use, like Django's persistent ones.
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _connection


def _in_full(expression: str | None) -> bool:
    return not expression or parse_duty(expression).reducible


def _money(value: Decimal) -> str:
    return str(value.quantize(TWO_PLACES))


def effective(importer: str, origin: str, hs: str, date: dt.date) -> dict[str, Any]:
    prefixes = [hs[:n] for n in range(2, len(hs) + 1)]
    with _db().cursor() as cursor:
        cursor.execute(ECONOMIES_SQL, ([importer, origin],))
        known = {row[0] for row in cursor.fetchall()}
        unknown = [code for code in (importer, origin) if code not in known]
        if unknown:
            raise LookupError(unknown)
        cursor.execute(
            CANDIDATES_SQL,
            {"importer": importer, "origin": origin, "date": date, "prefixes": prefixes},
        )
        rows = cursor.fetchall()
        cursor.execute(PRODUCT_SQL, (prefixes,))
        product_row = cursor.fetchone()

    best: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
    for row in rows:
        (
            mid,
            _t,
            _lb,
            _i,
            program,
            _k,
            origin_id,
            origin_kind,
            _a,
            _rid,
            _r,
            _f,
            _to,
            matched,
            claim,
            _yields,
            _basis,
            _yields_content,
            _expression,
            excluded_product,
            excluded_origin,
        ) = row
        # No claims are asked here: a measure that needs one (a preference) does not apply.
        if claim or excluded_product or (origin_id is None and excluded_origin):
            continue
        origin_rank = 0 if origin_id is None else 1 if origin_kind == "bloc" else 2
        # The engine's tie-break: later start, higher rate, kind, then lowest id.
        rank = (origin_rank, len(matched or ""), row[11], row[10], row[5], -mid)
        if program not in best or rank > best[program][0]:
            best[program] = (rank, row)
    # A measure gives way where a measure of a program it yields to applies (the programs
    # form no cycles, so standing is decided from the bottom up).
    standing: dict[str, bool] = {}

    def stands(program: str) -> bool:
        if program not in standing:
            yields = set(best[program][1][15] or ()) & best.keys() - {program}
            standing[program] = not any(stands(other) for other in sorted(yields))
        return standing[program]

    best = {program: ranked for program, ranked in best.items() if stands(program)}

    chosen = sorted((row for _, row in best.values()), key=lambda r: r[0])
    bases = [row for row in chosen if row[5] == "base"]
    # A base published as text (its rate of 0.00 a placeholder) is only the base when no
    # base is known in full, and then the base and the total are unknown.
    bases = [row for row in bases if _in_full(row[18])] or bases
    claimed = min(bases, key=lambda r: (r[10], r[0])) if bases else None
    base = claimed[10] if claimed and _in_full(claimed[18]) else None
    # Only the claimed (lowest) base is a component; higher base rates are not applied.
    chosen = [row for row in chosen if row[5] != "base" or row is claimed]
    components = []
    additional = Decimal(0)
    # A measure that yields to a program on its content only is charged on the value less
    # the content where that program's content-basis measure applies: not a percentage of the
    # whole value either (API.md rule 5).
    content_programs = {row[4] for row in chosen if row[16] == "content"}
    for row in chosen:
        mid, title, basis, instrument, program, kind, _o, _ok, slug, rid, rate, vf, vt = row[:13]
        if kind == "base":
            applied = Decimal(0)
        elif kind == "all_in" and base is not None:
            applied = max(Decimal(0), rate - base)
        else:
            applied = rate
        # A duty on one content's value (steel in a derivative) is not a percentage of the
        # whole value: it is shown, not added (API.md, `basis`).
        on_part = row[16] == "content" or (
            kind != "base" and bool(set(row[17] or ()) & content_programs)
        )
        if not on_part:
            additional += applied
        components.append(
            {
                "measure": mid,
                "rate_id": rid,
                "title": title,
                "legal_basis": basis,
                "instrument": instrument,
                "program": program,
                "kind": kind,
                "rate": _money(rate),
                "applied_rate": _money(applied),
                "valid_from": vf.isoformat(),
                "valid_to": vt.isoformat() if vt else None,
                "agreement": slug,
                "matched_product": row[13],
            }
        )
    return {
        "importer": importer,
        "origin": origin,
        "hs": hs,
        "date": date.isoformat(),
        "product": {"code": product_row[0], "description": product_row[1]} if product_row else None,
        "base_rate": _money(base) if base is not None else None,
        "additional_rate": _money(additional),
        "total_rate": _money(base + additional) if base is not None else None,
        "components": components,
    }


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        importer = query["importer"].strip().upper()
        origin = query["origin"].strip().upper()
        hs = re.sub(r"[.\s]", "", query["hs"])
        date = dt.date.fromisoformat(query.get("date") or dt.date.today().isoformat())
        if not (CODE_RE.match(importer) and CODE_RE.match(origin) and HS_RE.match(hs)):
            raise ValueError
        status, body = "200 OK", effective(importer, origin, hs, date)
    except (KeyError, ValueError, LookupError) as exc:
        status, body = "400 Bad Request", {"type": "validation_error", "detail": repr(exc)}
    payload = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]

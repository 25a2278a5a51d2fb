"""Benchmark: a whole entry in one request against the same lines one by one.

    DATABASE_URL=... .venv/bin/python -m bench.entry --lines 1000 --rounds 5

On the database DATABASE_URL names (seeded with `seed_data`, which loads the HTS editions
and their preferential measures), it builds a deterministic entry of `--lines` US lines
(origins and 10-digit codes drawn from the loaded tariff, values, quantities in the line's
own unit, a third of the lines claiming a preference) and times, in process through the
whole Django stack (middleware, DRF, the engine, JSON rendering) with Django's test client:

- POST rates/effective/batch/ with the whole entry, `--rounds` times;
- GET rates/effective/ for every line, once;
- the raw baseline: per line, the single lookup's three queries on a psycopg connection
  with no Django at all (the queries and rules' floor), once.

It checks that every line of the batch equals its single lookup, counts the queries of one
batch, and prints the figures as JSON (`--output` writes them).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeapi.settings")
os.environ.setdefault("THROTTLE_ANON", "none")
# Every line asked one by one is a different question: measured without the answer cache.
os.environ.setdefault("ANSWER_CACHE_SECONDS", "0")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from agreements.engine import queries as sql  # noqa: E402
from agreements.engine import units  # noqa: E402
from agreements.models import TariffLine  # noqa: E402
from agreements.validators import hs_prefixes  # noqa: E402

BATCH = "/api/v1/rates/effective/batch/"
EFFECTIVE = "/api/v1/rates/effective/"
DATE = "2025-09-15"
ORIGINS = ["CN", "JP", "DE", "MX", "CA", "KR", "AU", "VN", "IN", "BR", "GB", "CH"]
CLAIMS = {"MX": "S", "CA": "S", "KR": "KR", "AU": "AU"}


def entry(size: int, seed: int = 2025) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    lines = list(
        TariffLine.objects.filter(importer_id="US", valid_from="2025-01-01")
        .exclude(code__startswith="98")
        .exclude(code__startswith="99")
        .filter(code__regex=r"^[0-9]{10}$")
        .order_by("code")
        .values_list("code", "unit")
    )
    chosen = rng.sample(lines, size)
    out = []
    for number, (code, unit_text) in enumerate(chosen):
        origin = rng.choice(ORIGINS)
        line: dict[str, Any] = {
            "ref": str(number),
            "importer": "US",
            "origin": origin,
            "hs": code,
            "value": str(Decimal(rng.randint(100, 10_000_000)) / 100),
        }
        unit = (unit_text or "").split(",")[0].strip()
        if unit and units.is_known(unit):
            line["quantity"] = str(rng.randint(1, 5000))
            line["unit"] = units.canonical(unit)
        if origin in CLAIMS and rng.random() < 0.6:
            line["claims"] = [CLAIMS[origin]]
        out.append(line)
    return out


def raw_line(cursor: Any, line: dict[str, Any], statuses: list[str]) -> None:
    """The single lookup's queries, run bare: the floor under any lookup of the engine."""
    day = __import__("datetime").date.fromisoformat(DATE)
    end = day + __import__("datetime").timedelta(days=1)
    prefixes = hs_prefixes(line["hs"])
    cursor.execute(
        *sql.economies_sql(
            importer="US",
            codes=sorted({"US", line["origin"]}),
            prefixes=prefixes,
            start=day,
            end=end,
        )
    )
    rows = cursor.fetchall()
    origins = [line["origin"], *sorted({r[1] for r in rows if r[0] == line["origin"] and r[1]})]
    cursor.execute(
        *sql.candidates_sql(
            importer="US",
            origins=origins,
            prefixes=prefixes,
            statuses=statuses,
            start=day,
            end=end,
        )
    )
    periods = cursor.fetchall()
    open_measures = sorted({r[5] for r in periods if r[11] is None})
    if open_measures:
        cursor.execute(*sql.excluded_origins_sql(open_measures, origins))
        cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--single-lines",
        type=int,
        default=None,
        help="Time the one-by-one lookups (and the raw baseline) on the first N lines only "
        "(default all); rates are per line either way.",
    )
    parser.add_argument("--output")
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    lines = entry(args.lines)
    body = {"date": DATE, "lines": lines}

    post = client.post(BATCH, body, content_type="application/json")
    assert post.status_code == 200, post.content[:500]
    answers = post.json()["lines"]
    refused = sum(1 for a in answers if a["status"] != 200)

    with CaptureQueriesContext(connection) as captured:
        client.post(BATCH, body, content_type="application/json")
    batch_queries = len(captured.captured_queries)

    batch_times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        response = client.post(BATCH, body, content_type="application/json")
        batch_times.append(time.perf_counter() - started)
        assert response.status_code == 200

    singles = lines[: args.single_lines] if args.single_lines else lines
    started = time.perf_counter()
    differing = 0
    single_queries = 0
    for line, answered in zip(singles, answers, strict=False):
        params = {k: v for k, v in line.items() if k not in ("ref", "claims")}
        params["date"] = DATE
        params["claim"] = line.get("claims", [])
        with CaptureQueriesContext(connection) as captured:
            single = client.get(EFFECTIVE, params)
        single_queries += len(captured.captured_queries)
        if answered["status"] == 200 and single.json() != answered["answer"]:
            differing += 1
    single_time = time.perf_counter() - started

    raw_time = None
    if connection.vendor == "postgresql":
        import psycopg

        db = settings.DATABASES["default"]
        with (
            psycopg.connect(
                host=db["HOST"],
                port=db["PORT"] or 5432,
                user=db["USER"],
                dbname=db["NAME"],
                password=db.get("PASSWORD") or None,
            ) as raw,
            raw.cursor() as cursor,
        ):
            started = time.perf_counter()
            for line in singles:
                raw_line(cursor, line, ["in_force"])
            raw_time = time.perf_counter() - started

    best, median = min(batch_times), statistics.median(batch_times)
    result = {
        "database": connection.vendor,
        "lines": args.lines,
        "refused_lines": refused,
        "batch_seconds_median": round(median, 3),
        "batch_seconds_best": round(best, 3),
        "batch_lines_per_second": round(args.lines / median, 1),
        "batch_queries": batch_queries,
        "single_seconds_total": round(single_time, 3),
        "single_lines_timed": len(singles),
        "single_lines_per_second": round(len(singles) / single_time, 1),
        "single_queries_total": single_queries,
        "raw_seconds_total": round(raw_time, 3) if raw_time is not None else None,
        "raw_lines_per_second": round(len(singles) / raw_time, 1) if raw_time else None,
        "speedup_batch_over_single": round((single_time / len(singles)) / (median / args.lines), 1),
        "lines_differing_from_single": differing,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    if differing:
        sys.exit(1)


if __name__ == "__main__":
    main()

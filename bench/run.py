"""Benchmark `GET /api/v1/rates/effective/` against the raw-psycopg baseline.

Both apps run under gunicorn with the same worker count against the same PostgreSQL tables
(made by `python -m bench.generate_data`). Each round sends the same deterministic list of
lookups to each app from CONCURRENCY client threads; the app that goes first alternates. It
reports per round the median latency and requests per second of each, the median of the
per-round latency ratios, the Django app's queries per request, and whether the two apps gave
the same totals for every lookup.

Usage: DATABASE_URL=postgres://... python -m bench.run --label 1M [--rounds 5]
       DATABASE_URL=postgres://... python -m bench.run --label real --real  (the shipped data)
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def _serve(app: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DEBUG="0", SECRET_KEY="benchmark-only-" + "x" * 40)
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    # Plain HTTP on loopback: TLS belongs to the proxy in front, not to this measurement.
    env.setdefault("SECURE_SSL_REDIRECT", "0")
    # Throttling would measure the limiter, not the lookup.
    env.setdefault("THROTTLE_ANON", "")
    # Cold lookups: every round asks the same questions, which the answer cache would serve
    # from the second round on, measuring the cache instead of the lookup.
    env.setdefault("ANSWER_CACHE_SECONDS", "0")
    env.setdefault("THROTTLE_USER", "")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    return answering(subprocess.Popen(command, cwd=ROOT, env=env), port, app)


def answering(process: subprocess.Popen[bytes], port: int, name: str) -> subprocess.Popen[bytes]:
    """`process` once it answers HTTP on `port`; killed if it does not within 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            # The health probe: "/" would render the home page, which needs collectstatic.
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{name} did not start on port {port}")


def _lookups(count: int, seed: int, *, real: bool = False) -> list[dict[str, str]]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeapi.settings")
    django.setup()
    from agreements.models import Economy, Measure, Product, TariffLine

    rng = random.Random(seed)
    countries = sorted(Economy.objects.filter(kind="country").values_list("code", flat=True))
    if real:
        # The shipped data as `seed_data` loads it: US lines of the 2025-26 editions, any
        # country of origin, any day of the two years.
        # Ordered by code alone: the model's ordering (by edition too) would make DISTINCT
        # keep a code once per edition.
        lines = list(
            TariffLine.objects.filter(importer_id="US", code__regex=r"^[0-9]{10}$")
            .order_by("code")
            .values_list("code", flat=True)
            .distinct()
        )
        if not lines:
            raise SystemExit("No HTS lines: run manage.py seed_data first.")
        start = dt.date(2025, 1, 1)
        return [
            {
                "importer": "US",
                "origin": rng.choice(countries),
                "hs": rng.choice(lines),
                "date": (start + dt.timedelta(days=rng.randint(0, 729))).isoformat(),
            }
            for _ in range(count)
        ]
    importers = sorted(
        set(Measure.objects.filter(slug__startswith="bench-").values_list("importer_id", flat=True))
    )
    products = sorted(Product.objects.filter(level="subheading").values_list("code", flat=True))
    if not importers:
        raise SystemExit("No benchmark data: run python -m bench.generate_data first.")
    return [
        {
            "importer": rng.choice(importers),
            "origin": rng.choice(countries),
            "hs": rng.choice(products),
            "date": f"{rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
        for _ in range(count)
    ]


def drive(
    port: int, requests: list[tuple[str, dict[str, str]]], concurrency: int
) -> dict[str, Any]:
    """Sends the requests from `concurrency` threads; latencies, statuses, bodies by index."""
    latencies: list[float] = [0.0] * len(requests)
    statuses: list[int] = [0] * len(requests)
    bodies: list[bytes] = [b""] * len(requests)
    etags: list[str] = [""] * len(requests)
    lock = threading.Lock()
    queue = list(range(len(requests) - 1, -1, -1))

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop()
            target, headers = requests[index]
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            body = response.read()
            latencies[index] = time.perf_counter() - started
            connection.close()
            statuses[index] = response.status
            bodies[index] = body
            etags[index] = response.getheader("ETag") or ""

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "median_ms": statistics.median(latencies) * 1000,
        "rps": len(requests) / wall,
        "statuses": statuses,
        "bodies": bodies,
        "etags": etags,
    }


def _run(port: int, path: str, lookups: list[dict[str, str]], concurrency: int) -> dict[str, Any]:
    result = drive(port, [(f"{path}?{urlencode(params)}", {}) for params in lookups], concurrency)
    errors = [
        f"{status} {lookups[index]} {body[:200]!r}"
        for index, (status, body) in enumerate(
            zip(result["statuses"], result["bodies"], strict=True)
        )
        if status != 200
    ]
    answers = {
        index: json.loads(body)
        for index, (status, body) in enumerate(
            zip(result["statuses"], result["bodies"], strict=True)
        )
        if status == 200
    }
    return {
        "median_ms": result["median_ms"],
        "rps": result["rps"],
        "errors": errors,
        "answers": answers,
    }


def _queries_per_request(lookups: list[dict[str, str]]) -> list[int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = []
    for params in lookups:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/rates/effective/", params)
        assert response.status_code == 200, response.content[:300]
        counts.append(len(captured))
    return counts


def _signature(answer: dict[str, Any]) -> tuple[Any, ...]:
    return (
        answer["base_rate"],
        answer["additional_rate"],
        answer["total_rate"],
        sorted(component["rate_id"] for component in answer["components"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True, help="Name of this dataset, e.g. 1M.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400, help="Lookups per app per round.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, help="Write the results as JSON here.")
    parser.add_argument(
        "--real",
        action="store_true",
        help="Look up the shipped data (seed_data: the HTS editions and the US measures) "
        "instead of bench.generate_data's synthetic measures.",
    )
    args = parser.parse_args()
    # As the served apps run (_serve): the queries counted are a cold lookup's.
    os.environ.setdefault("ANSWER_CACHE_SECONDS", "0")

    lookups = _lookups(args.requests, args.seed, real=args.real)
    queries = _queries_per_request(lookups[:50])
    apps = {
        "django": (
            _serve("tradeapi.wsgi:application", 8801, args.workers),
            8801,
            "/api/v1/rates/effective/",
        ),
        "raw": (_serve("bench.raw_baseline:application", 8802, args.workers), 8802, "/"),
    }
    rounds = []
    mismatches = 0
    try:
        for number in range(args.rounds):
            order = ["django", "raw"] if number % 2 == 0 else ["raw", "django"]
            results = {
                name: _run(apps[name][1], apps[name][2], lookups, args.concurrency)
                for name in order
            }
            for name, result in results.items():
                if result["errors"]:
                    raise SystemExit(f"{name} errors: {result['errors'][:3]}")
            mismatches += sum(
                _signature(results["django"]["answers"][i])
                != _signature(results["raw"]["answers"][i])
                for i in range(len(lookups))
            )
            rounds.append(
                {
                    name: {"median_ms": round(r["median_ms"], 2), "rps": round(r["rps"], 1)}
                    for name, r in results.items()
                }
            )
            print(f"round {number + 1}: {rounds[-1]}", flush=True)
    finally:
        for process, _, _ in apps.values():
            process.terminate()
            process.wait()

    ratios = [r["django"]["median_ms"] / r["raw"]["median_ms"] for r in rounds]
    summary = {
        "label": args.label,
        "lookups_per_round": len(lookups),
        "concurrency": args.concurrency,
        "gunicorn_workers": args.workers,
        "rounds": rounds,
        "median_latency_ratio": round(statistics.median(ratios), 3),
        "django_median_ms": round(statistics.median(r["django"]["median_ms"] for r in rounds), 2),
        "raw_median_ms": round(statistics.median(r["raw"]["median_ms"] for r in rounds), 2),
        "django_rps": round(statistics.median(r["django"]["rps"] for r in rounds), 1),
        "raw_rps": round(statistics.median(r["raw"]["rps"] for r in rounds), 1),
        "django_queries_per_request": {"min": min(queries), "max": max(queries)},
        "raw_queries_per_request": 3,
        "answers_differing": mismatches,
    }
    print(json.dumps(summary, indent=2))
    if args.output:
        args.output.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()

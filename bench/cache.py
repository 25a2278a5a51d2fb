"""Reads at cache speed: the answer cache and validators against the raw baseline, one run.

Three workloads on the shipped data (`seed_data`), each sent to the Django app (gunicorn,
DEBUG off, the answer cache on, in Redis so every worker shares it) and to the raw-psycopg
baseline (bench/raw_baseline.py, which computes every answer), with the same worker counts:

- **cold**: every request different and new to the cache, so each Django answer is a miss:
  it reads the data version, computes, and stores. Concurrent clients, as bench.run. US
  lookups, drawn uniformly (as the conditional workload's).
- **skewed**: a realistic workload, Zipf-distributed over importer, origin, code and date
  independently (a few questions asked very often, a long tail asked once). The cache starts
  empty for each round, so its fill is part of what is measured. Sent a third time to the
  Django app behind nginx (`proxied`), whose proxy cache keeps what the answers'
  `Cache-Control` lets it keep (anonymous reads: `max-age` and `stale-while-revalidate`), as
  a deployment's proxy or CDN would; its cache too starts empty each round.
- **conditional**: one client at a time, each lookup once in full (cold) and then again with
  the `If-None-Match` of its answer: the 304's time against the full lookup's.

Requests per second and median latency per workload and app; rounds alternate which app
goes first. The Django app's answers are checked against the raw baseline's (cold, skewed).

Usage: DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/9 \
       python -m bench.cache --rounds 5 [--output docs/benchmarks/cache.json]
The Redis database named is flushed before each round: give it one of its own.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.run import _serve, _signature, answering, drive

DJANGO_PORT, RAW_PORT, PROXY_PORT = 8811, 8812, 8813
# A caching proxy in front of the app: nginx as Debian ships it, caching what Cache-Control
# allows (no proxy_cache_valid: the app's headers decide), Vary included.
NGINX_CONF = """
worker_processes 1;
error_log {root}/error.log warn;
pid {root}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    proxy_cache_path {root}/cache levels=1:2 keys_zone=answers:10m max_size=256m
        inactive=10m use_temp_path=off;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_cache answers;
            proxy_cache_lock on;
            proxy_cache_revalidate on;
            proxy_cache_background_update on;
            proxy_cache_use_stale updating;
        }}
    }}
}}
"""
DJANGO_PATH, RAW_PATH = "/api/v1/rates/effective/", "/"


class Universe:
    """What lookups range over on the shipped data, each list in a fixed random order that
    stands for popularity (the first the most asked)."""

    def __init__(self, seed: int) -> None:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeapi.settings")
        django.setup()
        from agreements.models import Economy, TariffLine

        rng = random.Random(seed)
        # Ordered by code alone: the model's ordering (by edition too) would make DISTINCT
        # keep a code once per edition, so that a code of both editions was drawn twice as
        # often.
        self.lines = list(
            TariffLine.objects.filter(importer_id="US", code__regex=r"^[0-9]{10}$")
            .order_by("code")
            .values_list("code", flat=True)
            .distinct()
        )
        if not self.lines:
            raise SystemExit("No HTS lines: run manage.py seed_data first.")
        rng.shuffle(self.lines)
        self.origins = sorted(
            Economy.objects.filter(kind="country").exclude(code="US").values_list("code", flat=True)
        )
        rng.shuffle(self.origins)
        first = dt.date(2025, 1, 1)
        self.dates = [(first + dt.timedelta(days=n)).isoformat() for n in range(730)]
        rng.shuffle(self.dates)
        # The skewed workload ranges over importers too: the US the most asked (its tariff is
        # the data's whole HTS), then the others with a tariff of their own, each with the
        # lines of the length most of its lines have (the UK's and the EU's 8 digits) and the
        # origins in the same order of popularity, less itself.
        others = sorted(
            set(TariffLine.objects.exclude(importer_id="US").values_list("importer_id", flat=True))
        )
        rng.shuffle(others)
        self.importers = ["US", *others]
        self.lines_of = {"US": self.lines}
        for importer in others:
            codes = sorted(
                set(TariffLine.objects.filter(importer_id=importer).values_list("code", flat=True))
            )
            length = Counter(len(code) for code in codes).most_common(1)[0][0]
            self.lines_of[importer] = [code for code in codes if len(code) == length]
            rng.shuffle(self.lines_of[importer])
        self.origins_of = {
            importer: [origin for origin in self.origins if origin != importer]
            for importer in self.importers
        }

    def uniform(self, rng: random.Random) -> dict[str, str]:
        return {
            "importer": "US",
            "origin": rng.choice(self.origins),
            "hs": rng.choice(self.lines),
            "date": rng.choice(self.dates),
        }


class Zipf:
    """Ranks 0..n-1 drawn with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n: int, s: float) -> None:
        weights = [1 / (rank + 1) ** s for rank in range(n)]
        total = sum(weights)
        self.cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)

    def draw(self, rng: random.Random) -> int:
        return min(bisect.bisect_left(self.cumulative, rng.random()), len(self.cumulative) - 1)


def _skewed(universe: Universe, count: int, s: float, rng: random.Random) -> list[dict[str, str]]:
    """Zipf over importer, origin, code and date, each drawn independently (origin and code
    among the importer's)."""
    importers = Zipf(len(universe.importers), s)
    origins = {i: Zipf(len(universe.origins_of[i]), s) for i in universe.importers}
    lines = {i: Zipf(len(universe.lines_of[i]), s) for i in universe.importers}
    dates = Zipf(len(universe.dates), s)
    lookups = []
    for _ in range(count):
        importer = universe.importers[importers.draw(rng)]
        lookups.append(
            {
                "importer": importer,
                "origin": universe.origins_of[importer][origins[importer].draw(rng)],
                "hs": universe.lines_of[importer][lines[importer].draw(rng)],
                "date": universe.dates[dates.draw(rng)],
            }
        )
    return lookups


def _requests(path: str, lookups: list[dict[str, str]]) -> list[tuple[str, dict[str, str]]]:
    return [(f"{path}?{urlencode(params)}", {}) for params in lookups]


def _differing(django: dict[str, Any], raw: dict[str, Any]) -> int:
    return sum(
        _signature(json.loads(a)) != _signature(json.loads(b))
        for a, b in zip(django["bodies"], raw["bodies"], strict=True)
    )


def _flush_answers() -> None:
    from django.core.cache import caches

    caches["answers"].clear()


def _proxy() -> subprocess.Popen[bytes]:
    """nginx on PROXY_PORT in front of the Django app, with an empty cache."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("Needs nginx for the proxied run (Debian: apt-get install nginx-light).")
    root = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    # nginx's workers drop root: they must be able to write the cache.
    root.chmod(0o777)
    (root / "tmp").mkdir(mode=0o777)
    (root / "tmp").chmod(0o777)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=PROXY_PORT, upstream=DJANGO_PORT))
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(root), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    return answering(process, PROXY_PORT, "nginx")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait()


def _check(name: str, result: dict[str, Any], expected: int) -> None:
    wrong = [s for s in result["statuses"] if s != expected]
    if wrong:
        raise SystemExit(f"{name}: {len(wrong)} answers were not {expected}: {wrong[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cold", type=int, default=400, help="Cold lookups per app per round.")
    parser.add_argument(
        "--skewed", type=int, default=4000, help="Skewed lookups per app per round."
    )
    parser.add_argument("--zipf", type=float, default=1.1, help="The skew's exponent s.")
    parser.add_argument(
        "--conditional", type=int, default=200, help="Lookups per round for the 304 timing."
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app.")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--output", type=Path, help="Write the results as JSON here.")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL: the workers must share one answer cache.")
    # The served Django app caches answers (bench.run's default is off); set before
    # _serve copies the environment.
    os.environ["ANSWER_CACHE_SECONDS"] = "3600"
    universe = Universe(args.seed)
    rng = random.Random(args.seed)
    apps = {
        "django": (_serve("tradeapi.wsgi:application", DJANGO_PORT, args.workers), DJANGO_PORT),
        "raw": (_serve("bench.raw_baseline:application", RAW_PORT, args.workers), RAW_PORT),
    }
    paths = {"django": DJANGO_PATH, "raw": RAW_PATH}
    rounds: list[dict[str, Any]] = []
    differing = 0
    try:
        for number in range(args.rounds):
            order = ["django", "raw"] if number % 2 == 0 else ["raw", "django"]
            result: dict[str, Any] = {}
            # Cold: lookups no earlier round asked (a fresh draw), the cache emptied.
            _flush_answers()
            cold = [universe.uniform(rng) for _ in range(args.cold)]
            runs = {
                name: drive(apps[name][1], _requests(paths[name], cold), args.concurrency)
                for name in order
            }
            for name, run in runs.items():
                _check(f"cold {name}", run, 200)
            differing += _differing(runs["django"], runs["raw"])
            result["cold"] = {
                name: {"median_ms": round(r["median_ms"], 2), "rps": round(r["rps"], 1)}
                for name, r in runs.items()
            }
            # Skewed: the caches start empty and fill as the workload runs.
            skewed = _skewed(universe, args.skewed, args.zipf, rng)
            runs = {}
            for name in [*order, "proxied"] if number % 2 == 0 else ["proxied", *order]:
                _flush_answers()
                if name == "proxied":
                    proxy = _proxy()
                    try:
                        runs[name] = drive(
                            PROXY_PORT, _requests(DJANGO_PATH, skewed), args.concurrency
                        )
                    finally:
                        _stop(proxy)
                else:
                    runs[name] = drive(
                        apps[name][1], _requests(paths[name], skewed), args.concurrency
                    )
            for name, run in runs.items():
                _check(f"skewed {name}", run, 200)
            differing += _differing(runs["django"], runs["raw"])
            differing += _differing(runs["proxied"], runs["raw"])
            result["skewed"] = {
                name: {"median_ms": round(r["median_ms"], 2), "rps": round(r["rps"], 1)}
                for name, r in runs.items()
            }
            result["skewed"]["distinct_lookups"] = len({tuple(p.items()) for p in skewed})
            # Conditional: one client, so each time is the request's own, not a queue's.
            _flush_answers()
            asked = _requests(DJANGO_PATH, [universe.uniform(rng) for _ in range(args.conditional)])
            full = drive(DJANGO_PORT, asked, 1)
            _check("full", full, 200)
            tags = full["etags"]
            if not all(tags):
                raise SystemExit("full: an answer came without an ETag")
            revalidated = drive(
                DJANGO_PORT,
                [
                    (target, {"If-None-Match": tag})
                    for (target, _), tag in zip(asked, tags, strict=True)
                ],
                1,
            )
            _check("If-None-Match", revalidated, 304)
            result["conditional"] = {
                "full_median_ms": round(full["median_ms"], 3),
                "not_modified_median_ms": round(revalidated["median_ms"], 3),
                "ratio": round(revalidated["median_ms"] / full["median_ms"], 3),
            }
            rounds.append(result)
            print(f"round {number + 1}: {json.dumps(result)}", flush=True)
    finally:
        for process, _ in apps.values():
            process.terminate()
            process.wait()

    def median(workload: str, app: str, field: str) -> float:
        return round(statistics.median(r[workload][app][field] for r in rounds), 2)

    summary = {
        "rounds": rounds,
        "concurrency": args.concurrency,
        "gunicorn_workers": args.workers,
        "zipf_s": args.zipf,
        "cold": {
            "django_rps": median("cold", "django", "rps"),
            "raw_rps": median("cold", "raw", "rps"),
            "django_median_ms": median("cold", "django", "median_ms"),
            "raw_median_ms": median("cold", "raw", "median_ms"),
            "latency_ratio": round(
                statistics.median(
                    r["cold"]["django"]["median_ms"] / r["cold"]["raw"]["median_ms"] for r in rounds
                ),
                3,
            ),
        },
        "skewed": {
            "django_rps": median("skewed", "django", "rps"),
            "proxied_rps": median("skewed", "proxied", "rps"),
            "raw_rps": median("skewed", "raw", "rps"),
            "rps_ratio": round(
                statistics.median(
                    r["skewed"]["django"]["rps"] / r["skewed"]["raw"]["rps"] for r in rounds
                ),
                3,
            ),
            "proxied_rps_ratio": round(
                statistics.median(
                    r["skewed"]["proxied"]["rps"] / r["skewed"]["raw"]["rps"] for r in rounds
                ),
                3,
            ),
        },
        "conditional_ratio": round(statistics.median(r["conditional"]["ratio"] for r in rounds), 3),
        "answers_differing": differing,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}, indent=2))
    if args.output:
        args.output.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()

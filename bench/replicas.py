"""Benchmark reads per second with the primary alone against the primary plus one replica.

Runs inside scripts/with_replica.sh, which starts a throwaway PostgreSQL primary and a
streaming replica of it:

    scripts/with_replica.sh .venv/bin/python -m bench.replicas [--rounds 5]

It migrates the primary, loads the shipped data (seed_data: the HTS editions and the US
measures), waits for the replica to replay it, then serves the API twice under gunicorn
with the same worker count: once without DATABASE_REPLICA_URLS (every read on the primary)
and once with it (reads on the replica). Each round sends the same deterministic lookups
(`GET /api/v1/rates/effective/` as `bench.run --real` makes them: US lines, any origin, any
day of 2025-26; the answer cache off, so every request reaches a database) to each from
CONCURRENCY client threads, the one going first alternating. It reports the median requests
per second and latency of each, the scans of the data tables each database made per request
(pg_stat_user_tables, measured apart), whether both gave the same answers, and the
machine's cores and load average: the clusters, the app servers and the client share its
CPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.run import ROOT, _lookups, _run, _serve, _signature

PATH = "/api/v1/rates/effective/"
# PostgreSQL reports an idle connection's statistics after 10 s (PGSTAT_IDLE_INTERVAL).
STATS_FLUSH_SECONDS = 11


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scalar(url: str, sql: str) -> Any:
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(sql).fetchone()
        assert row is not None
        return row[0]


def _data_scans(url: str) -> int:
    """Scans of the data tables so far (each server counts its own, a standby included).
    Not transactions: autovacuum's, after the load, would count on the primary."""
    return int(
        _scalar(
            url,
            "SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_user_tables "
            "WHERE relname LIKE 'agreements%'",
        )
    )


def _wait_for_replica(primary: str, replica: str) -> None:
    target = _scalar(primary, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _scalar(replica, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.2)
    raise SystemExit("The replica did not catch up.")


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400, help="Lookups per setup per round.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per setup.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, help="Write the results as JSON here.")
    args = parser.parse_args()

    primary = os.environ["DATABASE_URL"]
    replica_urls = os.environ.get("DATABASE_REPLICA_URLS", "")
    if not replica_urls or "," in replica_urls:
        raise SystemExit("Run under scripts/with_replica.sh (one replica in DATABASE_REPLICA_URLS)")
    replica = replica_urls
    os.environ["ANSWER_CACHE_SECONDS"] = "0"

    started = time.monotonic()
    _manage("migrate", "--no-input", "-v0")
    _manage("seed_data")
    # The steady state of data loaded a while ago, which autovacuum has visited: freshly
    # loaded rows carry no hint bits or visibility map on the replica (neither is sent by
    # replication until a vacuum writes it), so every read there would check each row's
    # transaction status, a cost real replicas do not pay for long.
    with psycopg.connect(primary, autocommit=True) as connection:
        connection.execute("VACUUM (FREEZE, ANALYZE)")
    print(f"data loaded in {time.monotonic() - started:.0f} s", flush=True)
    _wait_for_replica(primary, replica)
    lookups = _lookups(args.requests, args.seed, real=True)

    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, urls in (("primary alone", ""), ("primary + replica", replica_urls)):
            os.environ["DATABASE_REPLICA_URLS"] = urls
            port = _free_port()
            servers[name] = (_serve("tradeapi.wsgi:application", port, args.workers), port)
        os.environ["DATABASE_REPLICA_URLS"] = replica_urls
        # Warm-up: each worker's connections, prepared statements and replica check.
        for _, port in servers.values():
            _run(port, PATH, lookups[:100], args.concurrency)

        load_before = os.getloadavg()
        rounds: list[dict[str, Any]] = []
        mismatches = 0
        names = list(servers)
        for number in range(args.rounds):
            order = names if number % 2 == 0 else names[::-1]
            results = {}
            for name in order:
                result = _run(servers[name][1], PATH, lookups, args.concurrency)
                if result["errors"]:
                    raise SystemExit(f"{name} errors: {result['errors'][:3]}")
                results[name] = result
            mismatches += sum(
                _signature(results[names[0]]["answers"][i])
                != _signature(results[names[1]]["answers"][i])
                for i in range(len(lookups))
            )
            rounds.append(
                {
                    name: {"rps": round(r["rps"], 1), "median_ms": round(r["median_ms"], 2)}
                    for name, r in results.items()
                }
            )
            print(f"round {number + 1}: {json.dumps(rounds[-1])}", flush=True)
        load_after = os.getloadavg()
        # Which database served the reads: each setup alone, between readings of the
        # databases' scan counters. A connection that stays open reports its counts once
        # idle for 10 s (PostgreSQL's statistics flush), hence the waits.
        served: dict[str, dict[str, float]] = {}
        sample = lookups[:200]
        for name in names:
            time.sleep(STATS_FLUSH_SECONDS)
            before = (_data_scans(primary), _data_scans(replica))
            _run(servers[name][1], PATH, sample, args.concurrency)
            time.sleep(STATS_FLUSH_SECONDS)
            after = (_data_scans(primary), _data_scans(replica))
            served[name] = {
                "primary": round((after[0] - before[0]) / len(sample), 2),
                "replica": round((after[1] - before[1]) / len(sample), 2),
            }
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait()

    summary = {
        "data": "seed_data (the shipped data)",
        "lookups_per_round": len(lookups),
        "concurrency": args.concurrency,
        "gunicorn_workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_1min_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "rounds": rounds,
        "median": {
            name: {key: statistics.median(r[name][key] for r in rounds) for key in rounds[0][name]}
            for name in names
        },
        "data_table_scans_per_request": served,
        "answers_differing": mismatches,
    }
    print(json.dumps(summary, indent=2))
    if args.output:
        args.output.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()

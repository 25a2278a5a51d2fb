#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL primary and a streaming replica of it, then
# tears both down, whatever the command's outcome.
#
#   scripts/with_replica.sh COMMAND [ARGS...]
#
# The primary is a new cluster (initdb) on a free loopback port; the replica is made from it
# with `pg_basebackup -R` (streaming replication, hot standby) on another. Both live in a
# temporary directory and run as the `postgres` OS user when this runs as root (initdb
# refuses root). A Redis on a third port is the shared cache when redis-server is installed.
# The command sees:
#   DATABASE_URL           the primary's database `tradeapi`
#   DATABASE_REPLICA_URLS  the same database on the replica
#   REDIS_URL              the throwaway Redis (if any)
#   REPLICA_PGCTL          pg_ctl for the replica's cluster (tests stop and start it)
#   PGBIN                  the PostgreSQL binaries used
# Set PGBIN to choose the PostgreSQL version (default: the newest under /usr/lib/postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "No PostgreSQL server binaries (initdb, pg_basebackup): set PGBIN." >&2
  exit 2
fi

dir=$(mktemp -d)
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_pg() { runuser -u postgres -- "$@"; }
  as_pg_prefix="runuser -u postgres --"
else
  as_pg() { "$@"; }
  as_pg_prefix=""
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

teardown() {
  status=$?
  as_pg "$PGBIN/pg_ctl" -D "$dir/replica" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$PGBIN/pg_ctl" -D "$dir/primary" -m immediate stop >/dev/null 2>&1 || true
  if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ "$status" != 0 ]; then
    for log in "$dir"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 20 "$log"; } >&2; done
  fi
  # A server's last log line can land while the directory is being removed: once more.
  rm -rf "$dir" 2>/dev/null || { sleep 1; rm -rf "$dir"; }
  exit "$status"
}
trap teardown EXIT INT TERM

primary_port=$(free_port)
replica_port=$(free_port)
while [ "$replica_port" = "$primary_port" ]; do replica_port=$(free_port); done

# initdb's pg_hba.conf with trust allows replication connections from loopback. fsync is
# off: a throwaway cluster needs no durability, and the tests want speed.
as_pg "$PGBIN/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
cat >>"$dir/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $primary_port
unix_socket_directories = '$dir'
fsync = off
wal_level = replica
max_wal_senders = 4
CONF
as_pg "$PGBIN/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w start >/dev/null
as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$primary_port" -U postgres -qc "CREATE DATABASE tradeapi"

# -R writes the standby's primary_conninfo and standby.signal; -X stream copies the WAL made
# during the backup.
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" \
  -R -X stream -c fast
echo "port = $replica_port" >>"$dir/replica/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w start >/dev/null
recovering=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$replica_port" -U postgres -d tradeapi -Atc \
  "SELECT pg_is_in_recovery()")
[ "$recovering" = t ] || { echo "The replica is not in recovery." >&2; exit 1; }

export DATABASE_URL="postgres://postgres@127.0.0.1:$primary_port/tradeapi"
export DATABASE_REPLICA_URLS="postgres://postgres@127.0.0.1:$replica_port/tradeapi"
export REPLICA_PGCTL="$as_pg_prefix $PGBIN/pg_ctl -D $dir/replica -l $dir/replica.log"
export PGBIN

if command -v redis-server >/dev/null 2>&1; then
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log"
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi

echo "Primary on port $primary_port, streaming replica on port $replica_port${REDIS_URL:+, Redis at $REDIS_URL}" >&2
"$@"

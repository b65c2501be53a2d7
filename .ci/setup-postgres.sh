#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the ledger tests and print its URL.
#
# Idempotent: a second run reuses the server (and its database) that the first one started.
# Runs as root on a fresh Debian machine (installs Debian's `postgresql` package with apt-get
# when it is missing); PostgreSQL refuses to run as root, so the server is initialised and run
# by the `postgres` user in its own data directory, apart from any cluster the package made.
# Everything but the URL goes to standard error.
#
#   MEDINSURE_PG_DIR   data directory and socket (default /tmp/medinsure-ci-postgres)
#   MEDINSURE_PG_PORT  TCP port on 127.0.0.1   (default 54329)
#   MEDINSURE_PG_DB    database to create      (default medinsure_test)
set -euo pipefail

dir=${MEDINSURE_PG_DIR:-/tmp/medinsure-ci-postgres}
port=${MEDINSURE_PG_PORT:-54329}
db=${MEDINSURE_PG_DB:-medinsure_test}

say() { echo "setup-postgres: $*" >&2; }

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }

bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  [ "$(id -u)" -eq 0 ] || { say "postgresql is not installed and only root can install it"; exit 1; }
  say "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { say "initdb not found below /usr/lib/postgresql"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  as_owner() { runuser -u postgres -- "$@"; }
else
  owner=$(id -un)
  as_owner() { "$@"; }
fi

mkdir -p "$dir"
chown "$owner" "$dir"
chmod 700 "$dir"

if [ ! -s "$dir/data/PG_VERSION" ]; then
  say "initialising a server in $dir/data"
  # trust on loopback only: a disposable server for tests, reachable from this machine alone
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2
fi

if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  say "starting the server on 127.0.0.1:$port"
  # durability settings off: the tests kill clients, never this server, and speed matters more
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2
fi

psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA)
if [ "$(as_owner "${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
  say "creating database $db"
  as_owner "${psql[@]}" -d postgres -c "CREATE DATABASE \"$db\"" >&2
fi
as_owner "${psql[@]}" -d "$db" -c "SELECT 1" >/dev/null

echo "postgresql://postgres@127.0.0.1:$port/$db"

#!/usr/bin/env bash
# topsongs/postgres: Debian's PostgreSQL 15 (as devstack runs it). On an empty data volume it
# creates the cluster with POSTGRES_USER as its superuser (password POSTGRES_PASSWORD, required,
# scram-sha-256 on the socket and over TCP), the database POSTGRES_DB, then runs
# init-topsongs.sh on the socket only, before the server listens on the network.
set -euo pipefail
: "${POSTGRES_USER:?POSTGRES_USER is required}" "${POSTGRES_DB:?POSTGRES_DB is required}"
# A password may come as <VARIABLE>_FILE, a file holding it (compose's secrets): read into a shell
# variable, so it is in no process's environment but the one-shot set-up's below.
from_file() {
  local name="$1" file="${1}_FILE"
  if [ -n "${!file:-}" ]; then
    [ -z "${!name:-}" ] || { echo "both $name and $file are set: keep one" >&2; exit 1; }
    printf -v "$name" '%s' "$(<"${!file}")"
  fi
}
from_file POSTGRES_PASSWORD
from_file PG_READER_PASSWORD
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) is required (PG_PASSWORD in .env)}"
socket=/var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  {
    echo "listen_addresses = '*'"
    echo "unix_socket_directories = '$socket'"
  } >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  export PGPASSWORD="$POSTGRES_PASSWORD" PGHOST="$socket"
  psql --no-psqlrc -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS
  (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
  PG_READER_PASSWORD="${PG_READER_PASSWORD:-topsongs_reader}" bash /opt/topsongs/postgres/init-topsongs.sh
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGPASSWORD
  echo "[postgres] initialised $PGDATA"
fi
# the server needs neither password in its environment
unset POSTGRES_PASSWORD PG_READER_PASSWORD
exec postgres -D "$PGDATA"

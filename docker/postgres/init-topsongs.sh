#!/usr/bin/env bash
# Runs once, when topsongs/postgres (docker/postgres/entrypoint.sh) initialises an empty data
# volume. POSTGRES_USER/POSTGRES_DB (= PG_USER/PG_DATABASE) already exist;
# this adds the read-only role dashboard-api uses (PG_READER_USER/PG_READER_PASSWORD) and Airflow's
# metadata database, as devstack's PostgreSQL bootstrap does. Table grants come from the charts
# migrations (python -m topsongs_charts.migrate), not from here.
set -e
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$POSTGRES_USER" \
  -v reader="${PG_READER_USER:-topsongs_reader}" \
  -v reader_password="${PG_READER_PASSWORD:-topsongs_reader}" \
  -v airflow_db="${AIRFLOW_DATABASE:-airflow}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'reader', :'reader_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'reader') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'airflow_db', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'airflow_db') \gexec
SQL

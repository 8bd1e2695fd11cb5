#!/bin/bash
# Runs once, on the first start of an empty PostgreSQL volume, as the cluster superuser.
# Three login roles, none of them a superuser:
#   airflow       owns the database "airflow" (Airflow's metadata and Celery results);
#   yj_warehouse  owns the database "yj_warehouse" (what the loads write);
#   yj_tableau    may connect to the warehouse and read the marts (airflow-init grants
#                 SELECT on each mart_ table; the core, with personal data, stays closed).
# Passwords come from the container's environment (.env), passed to psql as variables so
# that no quoting in a password can break the SQL.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" -v warehouse_pw="$WAREHOUSE_PASSWORD" -v tableau_pw="$TABLEAU_PASSWORD" <<'SQL'
CREATE ROLE airflow LOGIN PASSWORD :'airflow_pw';
CREATE DATABASE airflow OWNER airflow;
CREATE ROLE yj_warehouse LOGIN PASSWORD :'warehouse_pw';
CREATE DATABASE yj_warehouse OWNER yj_warehouse;
CREATE ROLE yj_tableau LOGIN PASSWORD :'tableau_pw';
REVOKE ALL ON DATABASE airflow FROM PUBLIC;
REVOKE ALL ON DATABASE yj_warehouse FROM PUBLIC;
GRANT CONNECT ON DATABASE yj_warehouse TO yj_tableau;
\connect yj_warehouse
GRANT USAGE ON SCHEMA public TO yj_tableau;
SQL

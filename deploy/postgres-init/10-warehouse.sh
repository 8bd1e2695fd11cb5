#!/bin/bash
# Creates the warehouse database and its owner on the first start of the PostgreSQL volume.
# The password comes from the container's environment (.env), never from this file.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$WAREHOUSE_PASSWORD" <<'SQL'
CREATE ROLE yj_warehouse LOGIN PASSWORD :'pw';
CREATE DATABASE yj_warehouse OWNER yj_warehouse;
SQL

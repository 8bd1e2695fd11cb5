#!/bin/bash
# Who may connect from where. Runs once after 10-roles-and-databases.sh, on the first start of
# an empty volume, as the postgres user; it replaces the image's "host all all all" rule, which
# would let any role (the superuser included) try any database from any address that reaches
# the published port (WAREHOUSE_BIND opened for Tableau opens it to the whole cluster).
#   - the superuser: only through the container's own socket (docker compose exec postgres
#     psql -U postgres), never over a network;
#   - airflow to its database, yj_warehouse to the warehouse: from PG_AIRFLOW_NETWORKS
#     (default samenet: the Compose network; add a remote worker's network, e.g. 10.1.2.0/24);
#   - yj_tableau to the warehouse only: from PG_TABLEAU_NETWORKS (default samenet, which is
#     where connections through a port published on this host come from with Docker's proxy;
#     name Tableau Server's network if it connects from elsewhere).
# Every network connection authenticates with scram-sha-256. To change the networks later:
#   docker compose exec -u postgres postgres bash /docker-entrypoint-initdb.d/20-pg-hba.sh
set -euo pipefail
hba="${PGDATA:?PGDATA is not set}/pg_hba.conf"
{
  echo "# Written by deploy/postgres-init/20-pg-hba.sh (see there); first match wins."
  echo "local all postgres trust"
  for net in ${PG_AIRFLOW_NETWORKS:-samenet}; do
    echo "host airflow airflow $net scram-sha-256"
    echo "host yj_warehouse yj_warehouse $net scram-sha-256"
  done
  for net in ${PG_TABLEAU_NETWORKS:-samenet}; do
    echo "host yj_warehouse yj_tableau $net scram-sha-256"
  done
} > "$hba.new"
mv "$hba.new" "$hba"
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres -qAt -c "SELECT pg_reload_conf()" >/dev/null

#!/bin/bash
# What the airflow-init service does (docker-compose.yml runs it as root in the image, "once,
# and after every upgrade"). Safe to run again, and with any AIRFLOW_UID: everything it made
# on an earlier run (perhaps for another uid) is handed to the uid the services run as, so no
# step depends on who owned what before.
# tests/integration/test_airflow_init.py runs it twice with two uids.
set -euo pipefail
uid="${AIRFLOW_UID:-50000}"
data="${YJ_INIT_DATA_DIR:-/data}"
logs="${YJ_INIT_LOGS_DIR:-/opt/airflow/logs}"
entrypoint="${YJ_INIT_ENTRYPOINT:-/entrypoint}"

# The image's steps as the services' uid in group 0 (what Compose's `user:` gives them);
# HOME as the image sets it for its airflow user, so Python finds what is installed there.
as_services() { setpriv --reuid="$uid" --regid=0 --clear-groups env HOME=/home/airflow "$entrypoint" "$@"; }

mkdir -p "$data"/landing/{case_system,police_custody,education,ccis,board,reference,match_review} \
         "$data/output" "$data/raw" "$logs"
# Group-writable with the setgid bit: what a transfer job in the group drops stays readable
# and movable by the services' uid.
chown -R "$uid:0" "$data/landing" "$data/output" "$data/raw" "$logs"
chmod -R g+rwX "$data/landing" "$data/output" "$data/raw" "$logs"
find "$data/landing" "$data/output" "$data/raw" -type d -exec chmod g+s {} +
as_services airflow db migrate
# Roles and the administrator (FAB auth manager): the password from this container's
# environment into Airflow's database, hashed; no password file anywhere.
as_services python -m yj_airflow.deploy auth
as_services python -m yj_airflow.deploy prepare-warehouse

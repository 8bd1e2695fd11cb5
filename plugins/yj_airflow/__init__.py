"""Airflow glue shared by the DAGs: settings from connections, the task helpers and the yj command."""

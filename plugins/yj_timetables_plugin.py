"""Registers the project's timetable with Airflow, so DAGs using it can be serialized."""
from airflow.plugins_manager import AirflowPlugin

from yj_airflow.timetables import QuarterlyReturnTimetable


class YjTimetablesPlugin(AirflowPlugin):
    name = "yj_timetables"
    timetables = [QuarterlyReturnTimetable]

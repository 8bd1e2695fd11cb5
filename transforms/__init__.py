"""Business logic of the youth justice data platform: plain Python, no Airflow imports.

Data flows one way: landing -> validation -> canonical core -> marts and KPIs -> outputs.
"""

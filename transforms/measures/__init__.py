"""One definition per measure (issue 13).

Every figure the board reads in more than one place is defined here once and called by the
KPI rules (``transforms/kpis/``), the reporting marts (``transforms/marts/``) and the board
pack alike, so the three cannot tell different stories:

| module | measures |
|---|---|
| ``offending`` | substantive outcomes, first-time entrants, custodial sentences, the rolling 12 months |
| ``reoffending`` | the reoffending cohort quarter, cohort entries, reoffences (12-month follow-up, 18-month waiting period), binary rate and frequency |
| ``suitability`` | suitable accommodation (KPI 1) and suitable ETE (KPI 2, hours by school age) |
| ``victims`` | victims of offences whose outcome is dated in a period, and their consent and contact measures |

The functions take plain frames (the core's columns) and accept dates as ``datetime.date`` or
``pandas.Timestamp``; they never read the warehouse and never import Airflow.
"""

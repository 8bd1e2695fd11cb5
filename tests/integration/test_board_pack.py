"""The board pack against the return (issue 13), on a hand-built warehouse whose answers can be
checked on paper, written through SQLAlchemy like any load:

- every headline and local indicator the pack prints equals the return's figure for the
  quarter, and the performance and reoffending marts carry the same national indicators;
- a pack for Q ignores events after Q's end; a quarter not ended or with no data is refused;
- no hidden count can be worked out from what the pack prints (the attacker in
  tests/attacker.py), while small-cells-only suppression gives some away.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import delete, insert, text

from tests.attacker import attributes_disclosed, determined
from tests.conftest import make_settings
from tests.pack_reader import known_relations, printed_cells
from transforms.canonical import canonical_tables
from transforms.kpis.produce import produce_return
from transforms.marts.board_pack import HEADLINES, QuarterRefused, write_board_pack
from transforms.marts.build import rebuild_marts
from transforms.periods import Quarter
from transforms.warehouse.db import ensure_schema, make_engine
from transforms.warehouse.schema import CORE_TABLES, child_key, core_publication, ref_population

pytestmark = pytest.mark.integration
Q = Quarter.parse("2025Q2")  # 1 July to 30 September 2025
AS_OF = dt.date(2026, 1, 20)
PRODUCED = dt.datetime(2026, 1, 20, 9, 0)
AREAS = ("LEICESTERSHIRE", "RUTLAND")
D = dt.date.fromisoformat


def _children() -> list[dict]:
    kids = []
    for i in range(1, 15):
        kids.append({"child_id": f"C{i:02d}", "first_name": f"First{i}", "last_name": f"Last{i}",
                     # C02 and C03 are of school age at the end of their orders; the rest above it.
                     "date_of_birth": D("2010-03-01") if i in (2, 3) else D("2009-03-01") if i % 3 else D("2008-05-10"), "sex": "F" if i % 4 == 0 else "M",
                     "ethnicity": ("W1", "B1", "A1", "M1")[i % 4], "local_authority": "RUTLAND" if i == 14 else "LEICESTERSHIRE",
                     "postcode": "LE4 5AB", "upn": None, "pnc_id": None})
    return kids


def _case_system() -> dict[str, list[dict]]:
    """Fourteen children. The rows that the old pack and marts counted their own way are
    commented: they are where the two stories used to part."""
    episodes, outcomes, offences, ete, accommodation, need, victims = [], [], [], [], [], [], []
    # Eight orders ending in the quarter (the KPI cohort), C01 to C08.
    for i in range(1, 9):
        cid = f"C{i:02d}"
        kind = ("REFERRAL_ORDER", "YOUTH_REHABILITATION_ORDER")[i % 2]
        episodes.append({"episode_id": f"E{i}", "child_id": cid, "episode_type": kind, "start_date": D("2025-01-10"),
                         "end_date": D("2025-08-15"), "end_reason": "COMPLETED", "outcome_id": f"O{i}"})
        outcomes.append({"outcome_id": f"O{i}", "child_id": cid, "outcome_date": D("2025-01-10"), "outcome_type": kind})
        offences.append({"offence_id": f"F{i}", "child_id": cid, "offence_date": D("2024-12-01"), "offence_code": "X",
                         "offence_category": "THEFT_AND_HANDLING", "gravity_score": 3, "outcome_id": f"O{i}"})
        accommodation.append({"child_id": cid, "episode_id": f"E{i}", "recorded_at": "END",
                              "accommodation_type": "BED_AND_BREAKFAST" if i == 8 else "FAMILY_HOME", "suitable": None})
        need.append({"need_id": f"N{i}", "child_id": cid, "episode_id": f"E{i}", "domain": "MENTAL_HEALTH",
                     "screened_date": D("2025-02-01"), "need_identified": i <= 6, "intervention_planned": i <= 5,
                     "intervention_attended": i <= 3})
    # ETE at the end: flags on some, hours on others (16 hours is suitable above school age only:
    # C03 not, C04 yes), NEET, and C08 has no END record at all (KPI 2 counts that as not suitable).
    for i, (etype, hours, flag) in enumerate([("SCHOOL", 25, True), ("SCHOOL", 10, None), ("COLLEGE", 16, None),
                                              ("COLLEGE", 16, None), ("NEET", 0, None), ("TRAINING", 30, None),
                                              ("SCHOOL", 25, False)], start=1):
        ete.append({"child_id": f"C{i:02d}", "episode_id": f"E{i}", "recorded_at": "END", "ete_type": etype,
                    "hours_offered": hours, "hours_attended": hours, "suitable": flag})
    # First-time entrants in the 12 months to 30 September 2025: C01 to C08 (January 2025);
    # C09's first outcome is a community resolution (not substantive), then a caution in the window;
    # C10's first substantive outcome was before the window.
    outcomes += [{"outcome_id": "O9a", "child_id": "C09", "outcome_date": D("2024-06-01"), "outcome_type": "COMMUNITY_RESOLUTION"},
                 {"outcome_id": "O9b", "child_id": "C09", "outcome_date": D("2025-07-20"), "outcome_type": "YOUTH_CAUTION"},
                 {"outcome_id": "O10a", "child_id": "C10", "outcome_date": D("2024-02-01"), "outcome_type": "YOUTH_CAUTION"},
                 # A DTO outcome in the window (a custodial sentence) ...
                 {"outcome_id": "O10b", "child_id": "C10", "outcome_date": D("2025-03-01"), "outcome_type": "DTO"}]
    # ... whose custody episode started later; and an older DTO episode started in the window
    # with its outcome before it (the old mart counted episodes started, not sentences).
    episodes += [{"episode_id": "E10", "child_id": "C10", "episode_type": "DTO", "start_date": D("2025-03-05"), "outcome_id": "O10b"}]
    offences += [{"offence_id": "F9", "child_id": "C09", "offence_date": D("2025-07-01"), "offence_code": "X",
                  "offence_category": "THEFT_AND_HANDLING", "gravity_score": 3, "outcome_id": "O9b"},
                 {"offence_id": "F10", "child_id": "C10", "offence_date": D("2025-02-01"), "offence_code": "X",
                  "offence_category": "THEFT_AND_HANDLING", "gravity_score": 3, "outcome_id": "O10b"}]
    # Reoffending cohort for 30 September 2025: January to March 2024 (its end + 18 months).
    # C10 entered on 1 February 2024 and reoffended on 1 February 2025 (within 12 months, proven 1 March
    # 2025); C11 reoffended within 12 months but was proven after 18 months; C12 did not reoffend.
    outcomes += [{"outcome_id": "O11a", "child_id": "C11", "outcome_date": D("2024-03-01"), "outcome_type": "YOUTH_CAUTION"},
                 {"outcome_id": "O11b", "child_id": "C11", "outcome_date": D("2025-10-01"), "outcome_type": "REFERRAL_ORDER"},
                 {"outcome_id": "O12", "child_id": "C12", "outcome_date": D("2024-01-15"), "outcome_type": "FINE"}]
    offences += [{"offence_id": "F11", "child_id": "C11", "offence_date": D("2024-06-01"), "offence_code": "X",
                  "offence_category": "THEFT_AND_HANDLING", "gravity_score": 3, "outcome_id": "O11b"}]
    # Victims: of offences dealt with in the quarter (F9, outcome 20 July 2025), six people; a
    # victim of an offence committed in the quarter but dealt with later is not counted.
    for j in range(1, 7):
        victims.append({"victim_id": f"V{j}", "offence_id": "F9", "victim_kind": "PERSON", "contact_consent": j <= 5,
                        "views_sought": j <= 5, "kept_informed": j <= 4, "rj_offered": j <= 5, "rj_participated": j <= 2})
    offences.append({"offence_id": "F12", "child_id": "C12", "offence_date": D("2025-08-01"), "offence_code": "X",
                     "offence_category": "THEFT_AND_HANDLING", "gravity_score": 3, "outcome_id": None})
    victims.append({"victim_id": "V9", "offence_id": "F12", "victim_kind": "PERSON", "contact_consent": True, "views_sought": True})
    return {"child": _children(), "episode": episodes, "outcome": outcomes, "offence": offences, "ete_status": ete,
            "accommodation": accommodation, "need": need, "victim": victims, "wider_services": [], "assessment": []}


def _write(engine, tables: dict[str, list[dict]], replace: bool = True) -> None:
    with engine.begin() as conn:
        for name, rows in tables.items():
            table = CORE_TABLES[name]
            columns = [c.name for c in canonical_tables()[name].columns]
            if replace:
                conn.execute(delete(table))
            if rows:
                conn.execute(insert(table), [{c: r.get(c) for c in columns} for r in rows])


@pytest.fixture()
def warehouse(tmp_path):
    settings = make_settings(tmp_path, tmp_path / "landing").with_overrides(service_areas=AREAS)
    engine = make_engine(settings.warehouse_url)
    ensure_schema(engine)
    _write(engine, _case_system())
    with engine.begin() as conn:
        conn.execute(insert(child_key), [{"child_id": f"C{i:02d}", "child_key": f"K{i:02d}", "first_seen_delivery": "hand"}
                                         for i in range(1, 15)])
        conn.execute(insert(ref_population), [{"area": "LEICESTERSHIRE", "year": 2025, "age": a, "sex": s, "ethnic_group": g,
                                               "population": 500, "source": "hand-built"}
                                              for a in range(10, 18) for s in ("M", "F")
                                              for g in ("White", "Black", "Asian", "Mixed", "Other")])
        conn.execute(insert(core_publication), [{"source": "case_system", "delivery_id": "hand-built-1",
                                                 "published_at": dt.datetime(2026, 1, 19, 2, 30)}])
    return settings, engine


def _pack(engine, folder, threshold=1, quarter=Q, **kw):
    return write_board_pack(engine, quarter, folder, "Test", AREAS, threshold, produced=PRODUCED, **kw)


def test_the_pack_and_the_marts_tell_the_returns_story(warehouse, tmp_path):
    settings, engine = warehouse
    ret = produce_return(settings, Q, engine)
    rebuild_marts(engine, tmp_path / "marts", AS_OF, AREAS)
    figures = {(f.measure, f.breakdown): f for f in ret.figures}
    value = lambda m: figures[(m, "TOTAL")].value  # noqa: E731

    # The figures on paper first, so the return itself is checked, not only agreement with it.
    assert value("ni.fte.count") == 9  # C01-C08 and C09 at the caution (its community resolution is not substantive)
    assert value("ni.custody.count") == 1  # the DTO outcome, not the episode
    assert (value("ni.reoffending.cohort"), value("ni.reoffending.reoffenders"), value("ni.reoffending.reoffences")) == (3, 1, 1)
    assert (value("kpi2.cohort"), value("kpi2.suitable_end")) == (8, 3)  # C01 flag, C04 16h above school age, C06 30h
    assert value("kpi2.school_age.cohort") == 2
    assert (value("kpi10.victims"), value("kpi10.consented"), value("kpi10.rj_participated")) == (6, 5, 2)

    # Threshold 1 hides nothing, so every figure can be compared.
    cells = printed_cells(_pack(engine, tmp_path / "pack").path)
    n = lambda key: int(cells[key].replace(",", ""))  # noqa: E731
    c = Q.code
    # This warehouse has no education snapshot: the return cannot count KPI 3's formal plans
    # (its check fails), and the pack says "no data" rather than a share of nothing.
    assert "education" not in ret.sources
    for pct, num, den, _, _ in HEADLINES:
        if num.startswith("kpi3."):
            assert cells[f"fig|{num}|{c}"] == cells[f"fig|{den}|{c}"] == "no data", pct
            continue
        assert n(f"fig|{num}|{c}") == value(num) and n(f"fig|{den}|{c}") == value(den), pct
    # Every figure of the return the pack prints (KPIs, national indicators, ETE, health,
    # victims) equals the return's value for the quarter.
    printed = {k.split("|")[1]: k for k in cells if k.startswith("fig|") and k.endswith(f"|{c}")}
    for measure in ("ni.fte.count", "ni.custody.count", "ni.reoffending.cohort", "ni.reoffending.reoffenders",
                    "ni.reoffending.reoffences", "kpi2.cohort", "kpi2.suitable_end", "kpi2.school_age.cohort",
                    "kpi2.above_school_age.suitable_end", "kpi4.need_identified", "kpi5.intervention_attended",
                    "kpi10.victims", "kpi10.consented", "kpi10.views_sought", "kpi10.kept_informed", "kpi10.rj_offered"):
        assert measure in printed, measure
    # Neither school-age child is in suitable ETE, every child in suitable ETE is above school
    # age: that split puts a whole group in one category, so it is not published (the total is).
    merged = {"kpi2.school_age.suitable_end", "kpi2.above_school_age.suitable_end"}
    assert value("kpi2.school_age.suitable_end") == 0
    for measure, key in printed.items():
        expected = "no data" if measure.startswith("kpi3.") else "not published" if measure in merged else None
        assert (cells[key] == expected) if expected else n(key) == value(measure), measure
    assert n(f"custody|sentences|{c}") == 0  # the DTO outcome was in March, before the quarter

    # The performance and reoffending marts carry the same national indicators for the quarter.
    perf = pd.read_sql_table("mart_performance_overview", engine)
    perf = perf[perf["quarter"] == c].set_index("measure")
    assert perf.loc["first_time_entrants_12m", "value"] == value("ni.fte.count")
    assert perf.loc["first_time_entrants_rate_per_100000", "value"] == pytest.approx(value("ni.fte.rate_per_100000"))
    assert perf.loc["custodial_sentences_12m", "value"] == value("ni.custody.count")
    assert perf.loc["reoffending_binary_rate_pct", "value"] == pytest.approx(value("ni.reoffending.binary_rate"))
    assert perf.loc["reoffending_frequency", "value"] == pytest.approx(value("ni.reoffending.frequency"))
    assert "% of the reoffending cohort" in perf.loc["reoffending_binary_rate_pct", "definition"]
    tracker = pd.read_sql_table("mart_reoffending", engine)
    cohort = tracker[tracker["cohort_quarter"] == "2023Q4"]
    assert (len(cohort), int(cohort["reoffended"].sum()), int(cohort["reoffences"].sum())) == (3, 1, 1)
    assert cohort["tracking_complete"].all()
    ete = pd.read_sql_table("mart_ete", engine).set_index("episode_id")
    assert ete.loc["E4", "suitable_end"] and not ete.loc["E2", "suitable_end"] and pd.isna(ete.loc["E8", "suitable_end"])


def test_a_pack_stands_as_at_its_quarter_and_refuses_future_or_empty_quarters(warehouse, tmp_path):
    settings, engine = warehouse
    produce_return(settings, Q, engine)
    rebuild_marts(engine, tmp_path / "marts", AS_OF, AREAS)
    before = printed_cells(_pack(engine, tmp_path / "a", threshold=3).path)
    html = (tmp_path / "a" / "board_pack_test_2025Q2.html").read_text(encoding="utf-8")
    assert "hand-built-1" in html and "events after 30/09/2025 are not counted" in html and "as returned" in html

    # Events after the quarter: new children starting orders, remands and outcomes in October to
    # December 2025, and a new victim of an offence dealt with in November.
    later = _case_system()
    for i in range(1, 9):
        later["episode"].append({"episode_id": f"L{i}", "child_id": f"C{i:02d}", "episode_type": "REMAND_YDA" if i < 4 else "YOUTH_CAUTION",
                                 "start_date": D("2025-10-02"), "end_date": D("2025-10-20")})
        later["outcome"].append({"outcome_id": f"LO{i}", "child_id": f"C{i:02d}", "outcome_date": D("2025-11-01"), "outcome_type": "DTO"})
    later["offence"].append({"offence_id": "LF", "child_id": "C01", "offence_date": D("2025-10-01"), "offence_code": "X",
                             "offence_category": "ROBBERY", "gravity_score": 6, "outcome_id": "LO1"})
    later["victim"].append({"victim_id": "LV", "offence_id": "LF", "victim_kind": "PERSON", "contact_consent": True})
    _write(engine, later)
    rebuild_marts(engine, tmp_path / "marts", AS_OF, AREAS)
    assert printed_cells(_pack(engine, tmp_path / "b", threshold=3).path) == before
    # Recomputed from today's data (no stored return), the quarter's figures still do not move.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM kpi_figure"))
    recomputed = _pack(engine, tmp_path / "c", threshold=3).path
    assert printed_cells(recomputed) == before and "recomputed now" in recomputed.read_text(encoding="utf-8")

    with pytest.raises(QuarterRefused, match="has not ended"):
        _pack(engine, tmp_path / "d", quarter=Quarter.parse("2025Q4"))
    with pytest.raises(QuarterRefused, match="no data for 2030-31 Q1"):
        write_board_pack(engine, Quarter.parse("2030Q1"), tmp_path / "e", "Test", AREAS, 5, produced=dt.datetime(2031, 1, 1))
    assert not (tmp_path / "d").exists() and not (tmp_path / "e").exists()


def test_no_hidden_count_can_be_worked_out_from_the_pack(warehouse, tmp_path):
    settings, engine = warehouse
    produce_return(settings, Q, engine)
    rebuild_marts(engine, tmp_path / "marts", AS_OF, AREAS)
    # Small-cells-only suppression (the pack before issue 13) gives counts away ...
    naive = printed_cells(_pack(engine, tmp_path / "naive", threshold=5, secondary_suppression=False).path)
    assert determined(naive, known_relations(naive)), "the hand-built cohort should expose the small-cells-only rule"
    # ... and with secondary suppression nothing is determined.
    cells = printed_cells(_pack(engine, tmp_path / "safe", threshold=5).path)
    relations = known_relations(cells)
    assert relations and any(v in ("<5",) for v in cells.values()) and "withheld" in cells.values()
    assert determined(cells, relations) == {}
    # Group disclosure: small cells alone let a reader say that every child at a stage is of one
    # group (a total beside zeros); with group disclosure controlled no breakdown does.
    assert attributes_disclosed(naive, known_relations(naive)), "the hand-built cohort should show a group"
    assert attributes_disclosed(cells, relations) == []
    assert "not published" in cells.values()


def test_a_submitted_return_is_what_the_pack_shows(warehouse, tmp_path):
    """kpi_figure_submitted (issue 12's table of returns marked submitted) wins over the figures
    stored when the return was produced; a quarter with neither is recomputed and marked."""
    settings, engine = warehouse
    from transforms.kpis.produce import produce_and_submit
    from transforms.kpis.submission import SignOff

    produce_and_submit(settings, Q, engine, SignOff("Head of Service", draft_reason="a test of the pack"))
    rebuild_marts(engine, tmp_path / "marts", AS_OF, AREAS)
    with engine.begin() as conn:
        # As submitted, before a later correction of the data: 7 first-time entrants, not 9.
        conn.execute(text("UPDATE kpi_figure_submitted SET value = 7 WHERE measure = 'ni.fte.count'"))
    pack = _pack(engine, tmp_path / "pack")
    cells, html = printed_cells(pack.path), pack.path.read_text(encoding="utf-8")
    assert cells[f"fig|ni.fte.count|{Q.code}"] == "7" and "as submitted to the YJB" in html
    assert "○ recomputed from today" in html  # the seven earlier quarters have no stored return

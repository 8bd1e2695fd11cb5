"""The probabilistic part of matching: a Splink (Fellegi-Sunter) model run on DuckDB.

Why Splink: it is the record-linkage library used across UK government (MoJ, ONS), it
explains every score as a sum of per-field match weights (which the review list shows as
reasons), and it runs in-process on DuckDB, so nothing extra is installed or served.

How the model learns, so that nothing is hand-scored:
- u probabilities (how often two different children agree by chance) from random pairs;
- m probabilities (how often the same child's records agree) from the pairs that the UPN and
  PNC id already prove are the same child, with all the typos, nicknames and moves those
  records really carry;
- the prior from the share of pairs that agree on name and date of birth.
"""
from __future__ import annotations

import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

# Splink logs every training step at INFO; the pipeline's log should show our messages.
logging.getLogger("splink").setLevel(logging.WARNING)

FIELDS = ("forename", "surname", "dob", "postcode", "sex")
FIELD_WORDS = {"forename": "Forename", "surname": "Surname", "dob": "Date of birth", "postcode": "Postcode", "sex": "Sex"}

# Levels of the name and date-of-birth comparisons, best first; the gamma Splink gives a level
# is its distance from the bottom (the "else" level is 0, a missing value -1). Each variation a
# person would accept is a level of its own, so the model learns its own weight for it from the
# pairs the UPN and PNC id prove (how often the same child's records vary that way) and from
# random pairs (how often different children do), instead of a hand-written rule.
FORENAME_LEVELS = ("same forename", "forenames are a known name and nickname (Alex, Alexander)",
                   "a given name in common in another position (middle name used, given names in another order)",
                   "forename given only as the initial of the other", "forename spelt slightly differently",
                   "forename is the other record's surname (swapped)", "forenames differ")
SURNAME_LEVELS = ("same surname", "a family name in common (hyphenated or double-barrelled)",
                  "a surname the child is known by in another source (step-parent's or birth surname)",
                  "surname spelt slightly differently",
                  "surname is the other record's middle name (a patronymic: the father's name)",
                  "surname is the other record's forename (swapped)", "surnames differ")
DOB_LEVELS = ("same date of birth", "day and month transposed", "date of birth one digit different",
              "date of birth a day, a month or a year apart", "same year of birth only", "different date of birth")


def gamma_of(levels: tuple[str, ...], label: str) -> int:
    return len(levels) - 1 - levels.index(label)


FORENAMES_AGREE = {gamma_of(FORENAME_LEVELS, lv) for lv in FORENAME_LEVELS[:5]}
FORENAME_INITIAL = gamma_of(FORENAME_LEVELS, FORENAME_LEVELS[3])
SURNAMES_AGREE = {gamma_of(SURNAME_LEVELS, lv) for lv in SURNAME_LEVELS[:4]}
FORENAME_SWAPPED, SURNAME_SWAPPED = gamma_of(FORENAME_LEVELS, FORENAME_LEVELS[5]), gamma_of(SURNAME_LEVELS, SURNAME_LEVELS[5])
FORENAMES_DIFFER, SURNAMES_DIFFER = 0, 0
NAME_MISSING = -1
DOB_SAME = gamma_of(DOB_LEVELS, DOB_LEVELS[0])
POSTCODE_DIFFERENT_DISTRICT = 0
POSTCODE_SAME = 2


def _forename_comparison():
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    levels = dict(zip(FORENAME_LEVELS, [
        "forename_l = forename_r",
        "(forename_group_l = forename_group_r OR list_contains(forename_variants_l, forename_r)"
        " OR list_contains(forename_variants_r, forename_l))",
        "list_has_any(given_groups_l, given_groups_r)",
        "((length(forename_l) = 1 OR length(forename_r) = 1) AND forename_initial_l = forename_initial_r)",
        "jaro_winkler_similarity(forename_l, forename_r) >= 0.88",
        "(list_has_any(given_names_l, family_names_r) OR list_has_any(family_names_l, given_names_r))",
    ]))
    return CustomComparison(
        output_column_name="forename",
        comparison_levels=[
            cll.CustomLevel("forename_l IS NULL OR forename_r IS NULL", "a forename is missing").configure(is_null_level=True),
            # Term frequency: agreeing on Mohammed or Oliver says less than agreeing on a rare name.
            cll.CustomLevel(levels[FORENAME_LEVELS[0]], FORENAME_LEVELS[0]).configure(
                tf_adjustment_column="forename", tf_adjustment_weight=1.0),
            *[cll.CustomLevel(sql, label) for label, sql in list(levels.items())[1:]],
            cll.ElseLevel().configure(label_for_charts=FORENAME_LEVELS[-1]),
        ],
    )


def _surname_comparison():
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    levels = dict(zip(SURNAME_LEVELS, [
        "surname_l = surname_r",
        "list_has_any(family_names_l, family_names_r)",
        # The case child (left) with the surnames its other records carry, each record's own
        # source left out (see records.known_surnames).
        "list_contains(CASE split_part(unique_id_r, '|', 1) WHEN 'education' THEN surnames_not_education_l"
        " WHEN 'ccis' THEN surnames_not_ccis_l ELSE surnames_not_custody_l END, surname_r)",
        "jaro_winkler_similarity(surname_l, surname_r) >= 0.9",
        "(list_contains(list_slice(given_names_l, 2, 9), surname_r) OR list_contains(list_slice(given_names_r, 2, 9), surname_l))",
        "(list_has_any(family_names_l, given_names_r) OR list_has_any(given_names_l, family_names_r))",
    ]))
    return CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            # No family name left (a Begum or Kaur recorded with no other surname) is no evidence either way.
            cll.CustomLevel("surname_l IS NULL OR surname_r IS NULL", "a surname is missing").configure(is_null_level=True),
            cll.CustomLevel(levels[SURNAME_LEVELS[0]], SURNAME_LEVELS[0]).configure(
                tf_adjustment_column="surname", tf_adjustment_weight=1.0),
            *[cll.CustomLevel(sql, label) for label, sql in list(levels.items())[1:]],
            cll.ElseLevel().configure(label_for_charts=SURNAME_LEVELS[-1]),
        ],
    )


def _dob_comparison():
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    transposed = ("substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2)"
                  " AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)")
    # A slip across a boundary that is more than one digit (29/02 for 01/03, 2009 for 2010,
    # 31/01 for 01/02): a day apart, or the same day and month a year apart, or the same day
    # and year a month apart.
    day_l, day_r = "try_cast(dob_l AS DATE)", "try_cast(dob_r AS DATE)"
    one_apart = (f"(abs(date_diff('day', {day_l}, {day_r})) = 1"
                 " OR (substr(dob_l, 6, 5) = substr(dob_r, 6, 5)"
                 " AND abs(try_cast(substr(dob_l, 1, 4) AS INTEGER) - try_cast(substr(dob_r, 1, 4) AS INTEGER)) = 1)"
                 f" OR (substr(dob_l, 9, 2) = substr(dob_r, 9, 2) AND abs(date_diff('month', {day_l}, {day_r})) = 1))")
    return CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(label_for_charts=DOB_LEVELS[0]),
            cll.CustomLevel(transposed, DOB_LEVELS[1]),
            cll.CustomLevel("damerau_levenshtein(dob_l, dob_r) <= 1", DOB_LEVELS[2]),
            cll.CustomLevel(one_apart, DOB_LEVELS[3]),
            cll.CustomLevel("substr(dob_l, 1, 4) = substr(dob_r, 1, 4)", DOB_LEVELS[4]),
            cll.ElseLevel().configure(label_for_charts=DOB_LEVELS[5]),
        ],
    )


def _postcode_comparison():
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    return CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode"),
            cll.ExactMatchLevel("postcode_district").configure(label_for_charts="same postcode district"),
            cll.ElseLevel().configure(label_for_charts="postcodes in different districts"),
        ],
    )


def settings():
    from splink import SettingsCreator, block_on
    from splink.comparison_library import ExactMatch

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[_forename_comparison(), _surname_comparison(), _dob_comparison(), _postcode_comparison(),
                     ExactMatch("sex").configure(term_frequency_adjustments=False)],
        # Each kind of noise leaves at least one of these intact, so every true pair is scored.
        # Date of birth is always paired with an initial: on its own it makes the pairs grow
        # with the square of the records (at 100,000 children, tens of millions of pairs).
        blocking_rules_to_generate_predictions=[
            block_on("dob", "forename_initial"),
            block_on("dob", "surname_initial"),
            "l.dob = r.dob AND l.forename_initial = r.surname_initial",
            # Name without the date of birth finds a date mistyped or transposed; with the year
            # (or the day and month, for a mistyped year) the pairs shrink tenfold. Name alone
            # paired every Oliver Smith with every other: 260,000 pairs at county scale,
            # 11 million at 100,000 children, growing with the square of the records.
            "l.forename_group = r.forename_group AND l.surname = r.surname AND substr(l.dob, 1, 4) = substr(r.dob, 1, 4)",
            "l.forename_group = r.forename_group AND l.surname = r.surname AND substr(l.dob, 6, 5) = substr(r.dob, 6, 5)",
            block_on("surname", "postcode"),
            block_on("forename_group", "postcode"),
        ],
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


# DuckDB's own memory while Splink scores pairs. Its default (80% of the machine's memory) let
# the 100,000-children predictions (every scored pair, every intermediate column) take the
# matching step past 2 GB (issue 16); with a limit, DuckDB spills to its file on disk instead.
DUCKDB_MEMORY_LIMIT = "768MB"


@contextmanager
def _bounded_duckdb():
    """Splink's DuckDB backend on a database file in a temporary folder, its memory limited;
    the connection is closed (and its memory given back) when matching is done with it."""
    import duckdb
    from splink import DuckDBAPI

    with tempfile.TemporaryDirectory(prefix="yj-matching-") as folder:
        connection = duckdb.connect(str(Path(folder) / "splink.duckdb"),
                                    config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": folder})
        try:
            yield DuckDBAPI(connection=connection)
        finally:
            connection.close()


def _for_model(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the model compares: the values as recorded stay in pandas, for the reviewer."""
    return frame.drop(columns=["source_dataset", *[c for c in frame.columns if c.startswith("recorded_")]])


def train_and_predict(case: pd.DataFrame, others: pd.DataFrame, proven: pd.DataFrame,
                      lowest_probability: float, seed: int = 20261122, review_from: float = 0.0) -> tuple[pd.DataFrame, dict]:
    """Score every plausible (case child, other record) pair.

    ``proven`` holds the deterministic links (``child_id``, ``source_dataset``, ``unique_id``)
    the m probabilities are learnt from. Returns the scored pairs at or above
    ``lowest_probability`` that can matter (at or above ``review_from``, or a possible family
    change of surname at any score) and the trained model as a Splink settings dictionary.
    """
    from splink import Linker, block_on

    label = proven.assign(key=proven["source_dataset"] + "|" + proven["unique_id"]).set_index("key")["child_id"]
    case = case.assign(proven_child=case["unique_id"])
    others = others.assign(proven_child=(others["source_dataset"] + "|" + others["unique_id"]).map(label))
    # Two inputs for Splink: the case system on the left, every other source on the right.
    others = others.assign(unique_id=others["source_dataset"] + "|" + others["unique_id"])
    with _bounded_duckdb() as db:
        left = db.register(_for_model(case), dataset_display_name="case_system")
        right = db.register(_for_model(others), dataset_display_name="other_sources")
        linker = Linker([left, right], settings(), log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("forename", "surname", "dob")], recall=0.7)
        # Stop sampling once every level has 20 random pairs: the default 100 is never reached by
        # the rare levels (swapped names), so every chunk would be read, several times slower.
        linker.training.estimate_u_using_random_sampling(max_pairs=1.5e6, seed=seed, min_count_per_level=20)
        linker.training.estimate_m_from_label_column("proven_child")
        model = smooth_untrained_m(linker.misc.save_model_to_json(), pseudo_count=0.5 / max(len(proven), 1))
        # ERROR: a level too rare to estimate on a small service keeps its smoothed default,
        # which Splink announces as a warning on every prediction (nothing a reader can act on).
        linker = Linker([left, right], model, log_level=logging.ERROR)
        predictions = linker.inference.predict(threshold_match_probability=lowest_probability)
        scored = _tidy(_pairs_that_matter(predictions, review_from), model)
    return scored, model


def score_with_model(case: pd.DataFrame, others: pd.DataFrame, model: dict, lowest_probability: float,
                     review_from: float = 0.0) -> pd.DataFrame:
    """Score new records (a custody refresh's detentions) with the last trained model."""
    from splink import Linker

    others = others.assign(unique_id=others["source_dataset"] + "|" + others["unique_id"])
    with _bounded_duckdb() as db:
        left = db.register(_for_model(case), dataset_display_name="case_system")
        right = db.register(_for_model(others), dataset_display_name="other_sources")
        linker = Linker([left, right], model, log_level=logging.ERROR)  # as in train_and_predict
        predictions = linker.inference.predict(threshold_match_probability=lowest_probability)
        return _tidy(_pairs_that_matter(predictions, review_from), model)


def smooth_untrained_m(model: dict, pseudo_count: float) -> dict:
    """A level no proven pair fell into (say, a transposed date of birth when the UPN links
    happen to include none) gets a small m instead of Splink's default, which would be far
    too generous; the comparison's m values are then renormalised to sum to one."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            if level.get("m_probability") is None:
                level["m_probability"] = pseudo_count
        total = sum(level["m_probability"] for level in levels)
        for level in levels:
            level["m_probability"] = level["m_probability"] / total
    return model


def model_is_current(model: dict) -> bool:
    """Whether a saved model compares as today's code does (the same comparisons and levels):
    a model trained before a level was added gives gammas that mean something else."""
    expected = {"forename": FORENAME_LEVELS, "surname": SURNAME_LEVELS, "dob": DOB_LEVELS}
    if [c["output_column_name"] for c in model["comparisons"]] != list(FIELDS):
        return False
    labels = {n: tuple(v for (c, _g), v in sorted(level_labels(model).items(), key=lambda kv: -kv[0][1]) if c == n)
              for n in expected}
    return all(labels[n] == expected[n] for n in expected)


def comparison_levels_of(case: pd.DataFrame, others: pd.DataFrame) -> pd.DataFrame:
    """The level each (case child, other record) pair falls into on every comparison, from
    the model's own settings run on DuckDB as Splink runs them: which variation a pair is, and
    so which weight it gets, without training a model (for tests and for diagnosing a miss).
    Returns ``child_id, source, record_id`` and a ``gamma_<field>`` per comparison."""
    import duckdb

    comparisons = settings().create_settings_dict("duckdb")["comparisons"]
    right = others.assign(unique_id=others["source_dataset"] + "|" + others["unique_id"])
    cases = []
    for comparison in comparisons:
        levels = comparison["comparison_levels"]
        real = [lv for lv in levels if not lv.get("is_null_level")]
        whens = [f"WHEN {lv['sql_condition']} THEN -1" for lv in levels if lv.get("is_null_level")]
        whens += [f"WHEN {lv['sql_condition']} THEN {len(real) - 1 - i}" for i, lv in enumerate(real)
                  if lv["sql_condition"].strip().upper() != "ELSE"]
        cases.append(f"CASE {' '.join(whens)} ELSE 0 END AS gamma_{comparison['output_column_name']}")
    with duckdb.connect() as con:
        con.register("l_in", _for_model(case))
        con.register("r_in", _for_model(right))
        columns = [c for c in _for_model(case).columns]
        select_l = ", ".join(f'l."{c}" AS "{c}_l"' for c in columns)
        select_r = ", ".join(f'r."{c}" AS "{c}_r"' for c in columns)
        pairs = f"SELECT {select_l}, {select_r} FROM l_in l CROSS JOIN r_in r"
        out = con.execute(f"SELECT unique_id_l AS child_id, unique_id_r AS other, {', '.join(cases)} FROM ({pairs})").df()
    out[["source", "record_id"]] = out["other"].str.split("|", n=1, expand=True)
    return out.drop(columns="other")


def level_labels(model: dict) -> dict[tuple[str, int], str]:
    """(comparison, gamma) -> the level's words, for the reasons shown to reviewers."""
    out = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for gamma, level in zip(range(len(levels) - 1, -1, -1), levels):
            out[(name, gamma)] = level.get("label_for_charts") or level["sql_condition"]
    return out


def possible_surname_change(frame: pd.DataFrame) -> pd.Series:
    """Forename, date of birth and address (postcode or its district) agree, surname
    different: a family change of surname, which the model scores low (the surname
    disagrees) but a person must see. Without the address it is no evidence: at 100,000
    children, forename and date of birth alone agree by chance thousands of times."""
    return (frame["gamma_forename"].isin(FORENAMES_AGREE) & (frame["gamma_dob"] == DOB_SAME)
            & (frame["gamma_surname"] == SURNAMES_DIFFER) & (frame["gamma_postcode"] > POSTCODE_DIFFERENT_DISTRICT))


# Splink's prediction columns that ``_tidy`` reads; the rest (every input column twice, Bayes
# factors, term frequencies) stay in DuckDB.
SCORED_COLUMNS = ["unique_id_l", "unique_id_r", "match_probability", "match_weight",
                  *[f"gamma_{f}" for f in FIELDS], *[f"mw_{f}" for f in FIELDS]]
PREDICTION_BATCH_ROWS = 250_000


def _pairs_that_matter(predictions, review_from: float) -> pd.DataFrame:
    """The scored pairs that can matter (see ``train_and_predict``), read from DuckDB in
    batches of the columns used: read whole into pandas, every scored pair with every
    intermediate column would be held a second time, in Python, for pairs never read (issue 16)."""
    reader = predictions.as_duckdbpyrelation().project(", ".join(SCORED_COLUMNS)).to_arrow_reader(PREDICTION_BATCH_ROWS)
    kept = []
    for batch in reader:
        frame = batch.to_pandas()
        kept.append(frame[(frame["match_probability"] >= review_from) | possible_surname_change(frame)])
    return pd.concat(kept, ignore_index=True) if kept else reader.schema.empty_table().to_pandas()


def _tidy(scored: pd.DataFrame, model: dict) -> pd.DataFrame:
    """One row per scored pair with the child, the other record and each field's agreement."""
    source, record = scored["unique_id_r"].str.split("|", n=1).str[0], scored["unique_id_r"].str.split("|", n=1).str[1]
    out = pd.DataFrame({
        "child_id": scored["unique_id_l"].astype(str), "source": source, "record_id": record,
        "match_probability": scored["match_probability"].astype(float),
        "match_weight": scored["match_weight"].astype(float),
    })
    for field in FIELDS:
        out[f"gamma_{field}"] = scored[f"gamma_{field}"].astype(int)
        out[f"mw_{field}"] = scored[f"mw_{field}"].astype(float)
    labels = level_labels(model)
    out["reasons"] = [
        "; ".join(f"{FIELD_WORDS[f]}: {labels.get((f, int(g)), 'missing')} ({w:+.1f})"
                  for f, g, w in zip(FIELDS, gammas, weights))
        for gammas, weights in zip(out[[f"gamma_{f}" for f in FIELDS]].to_numpy(),
                                   out[[f"mw_{f}" for f in FIELDS]].to_numpy())
    ]
    return out

"""User mistakes get a plain one-line error, exit code 2 and no traceback."""
import subprocess
import sys

import pytest


def _yj(*args):
    return subprocess.run([sys.executable, "-m", "yj_airflow.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args,message", [
    (["run", "--landing", "/no/such/folder"], "landing folder /no/such/folder does not exist"),
    (["run", "--quarter", "2025Q7", "--landing", "."], "'2025Q7' is not a quarter"),
    (["sample", "--out", "x", "--layout", "oldsystem"], "unknown layout 'oldsystem'"),
    (["sample", "--out", "x", "--children", "0"], "--children must be between"),
    (["sample", "--out", "x", "--as-of", "31/12/2025"], "is not a date"),
    (["board-pack", "--quarter", "2025Q5"], "'2025Q5' is not a quarter"),
    (["board-pack", "--quarter", "2025Q2", "--threshold", "0"], "--threshold must be 1 or more"),
])
def test_bad_arguments_give_a_plain_error(args, message):
    result = _yj(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_board_pack_before_any_marts_says_how_to_build_them(tmp_path):
    from transforms.warehouse.db import ensure_schema, make_engine

    ensure_schema(make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}"))
    result = _yj("board-pack", "--quarter", "2025Q2", "--warehouse", f"sqlite:///{tmp_path / 'empty.sqlite'}", "--out", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the marts are not built yet" in result.stderr


def test_sample_prints_progress_and_where_things_are(tmp_path):
    result = _yj("sample", "--out", str(tmp_path), "--children", "60", "--years", "2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "generating 60 children" in result.stderr and "landing folder:" in result.stdout
    assert (tmp_path / "landing" / "case_system" / "corepl-20261120" / "manifest.json").exists()


@pytest.mark.parametrize("url,message", [
    ("sqlite:///{tmp}/typo/warehouse.sqlite", "no warehouse at {tmp}/typo/warehouse.sqlite: the file does not exist"),
    ("sqlite:///{tmp}/warehuose.sqlite", "no warehouse at {tmp}/warehuose.sqlite: the file does not exist"),
    ("postgresql+psycopg://analyst:s3cret@127.0.0.1:1/warehouse", "cannot reach the warehouse at "
                                                               "postgresql+psycopg://analyst:***@127.0.0.1:1/warehouse"),
    ("warehouse.sqlite", "'warehouse.sqlite' is not a warehouse URL"),
    ("mysql://analyst@db/warehouse", "'mysql://analyst@db/warehouse' is not a warehouse URL"),
])
def test_a_warehouse_that_does_not_exist_or_cannot_be_reached_is_one_line_and_exit_2(tmp_path, url, message):
    url, message = url.format(tmp=tmp_path), message.format(tmp=tmp_path)
    for args in (["kpi", "--quarter", "2025Q2"], ["submit-return", "--quarter", "2025Q2", "--approved-by", "Head of Service"]):
        result = _yj(*args, "--warehouse", url, "--out", str(tmp_path / "out"))
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"yj: error: {message}") and result.stderr.count("\n") == 1, result.stderr
        assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # no database file, no output folder


def test_the_embedded_warehouse_is_created_on_first_use_and_says_so(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("YJ_")}
    env.update(YJ_VAR_DIR=str(tmp_path / "var"))
    (tmp_path / "landing").mkdir()
    result = subprocess.run([sys.executable, "-m", "yj_airflow.cli", "submit-return", "--quarter", "2025Q2",
                             "--approved-by", "Head of Service"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert f"created the embedded warehouse at {tmp_path / 'var' / 'warehouse.sqlite'} (first use)" in result.stderr
    assert (tmp_path / "var" / "warehouse.sqlite").exists()
    # Nothing was produced, so nothing can be submitted: a plain error, not a traceback.
    assert result.returncode == 2 and "no return has been produced for 2025-26 Q2" in result.stderr


def _options_without_help(parser, path: str = "yj") -> list[str]:
    """Every subcommand and option, anywhere in the argparse tree, that has no help text."""
    import argparse

    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest for choice in action._choices_actions if choice.help}
            for name, sub in action.choices.items():
                if name not in helped:
                    missing.append(f"{path} {name}")
                missing += _options_without_help(sub, f"{path} {name}")
        elif action.option_strings and not action.help:
            missing.append(f"{path} {'/'.join(action.option_strings)}")
    return missing


def test_every_option_of_every_subcommand_has_help():
    import argparse

    from yj_airflow.cli import build_parser

    assert _options_without_help(build_parser()) == []
    # The walk does find what lacks help, at any depth.
    parser = argparse.ArgumentParser(prog="x")
    sub = parser.add_subparsers().add_parser("load")
    sub.add_argument("--fast", action="store_true")
    assert _options_without_help(parser) == ["yj load", "yj load --fast"]


def test_library_warnings_are_quiet_and_ours_are_not(monkeypatch):
    import warnings

    from yj_airflow.cli import quiet_library_warnings

    monkeypatch.delenv("YJ_SHOW_WARNINGS", raising=False)
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_library_warnings()
        for category, module in ((DeprecationWarning, "transforms.marts"), (FutureWarning, "transforms.kpis"),
                                 (UserWarning, "great_expectations.expectations.metrics"),
                                 (UserWarning, "airflow.providers.standard.sensors.python"),
                                 (UserWarning, "pandas.core.strings"), (UserWarning, "transforms.ingest.protocol")):
            warnings.warn_explicit("a warning", category, "file.py", 1, module=module)
    assert [(w.category, str(w.message)) for w in caught] == [(UserWarning, "a warning")]  # transforms.ingest's own


# Every command that opens the warehouse or writes outputs, with what it needs besides.
COMMANDS = {
    "run": [], "load-case-system": [], "load-education": [], "load-ccis": [], "match": [],
    "kpi": ["--quarter", "2025Q2"], "submit-return": ["--quarter", "2025Q2"], "board-pack": ["--quarter", "2025Q2"],
    "report": ["--due"],
}
LANDING = {"run", "load-case-system", "load-education", "load-ccis", "match", "kpi"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", ["missing folder", "in memory", "malformed", "unreachable", "output is a file",
                                  "output under a file"])
def test_every_command_refuses_a_bad_warehouse_or_output_in_one_line(tmp_path, capsys, monkeypatch, command, case):
    """One line, exit 2, nothing created and nothing loaded (run in-process: the preflight comes
    before anything heavy is imported)."""
    from yj_airflow.cli import main

    for name in ("YJ_WAREHOUSE_URL", "YJ_OUTPUT_DIR", "YJ_LANDING_DIR", "YJ_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("YJ_VAR_DIR", str(tmp_path / "var"))  # the embedded default is never the one named
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "a-file").write_text("x")
    warehouse, out = f"sqlite:///{tmp_path / 'wh.sqlite'}", tmp_path / "out"
    if case == "missing folder":
        warehouse = f"sqlite:///{tmp_path / 'typo' / 'wh.sqlite'}"
    elif case == "in memory":
        warehouse = "sqlite://"
    elif case == "malformed":
        warehouse = "postgres-ql:/warehouse"
    elif case == "unreachable":
        warehouse = "postgresql+psycopg://analyst:s3cret@127.0.0.1:1/warehouse"
    elif case == "output is a file":
        out = tmp_path / "a-file"
    elif case == "output under a file":
        out = tmp_path / "a-file" / "out"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    args = [command, *COMMANDS[command], "--warehouse", warehouse, "--out", str(out)]
    if command in LANDING:
        args += ["--landing", str(landing)]

    code = main(["-q", *args])

    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("yj: error: ") and err.count("\n") == 1, err
    assert "s3cret" not in err and "Traceback" not in err
    if case.startswith("output"):
        assert "output folder" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no database, no folder, no file


def test_a_load_creates_a_new_warehouse_file_and_says_so_a_reader_does_not(tmp_path, sample_dir):
    landing = tmp_path / "landing"
    import shutil

    shutil.copytree(sample_dir / "landing" / "ccis", landing / "ccis")
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    reader = _yj("kpi", "--quarter", "2025Q2", "--landing", str(landing), "--warehouse", url, "--out", str(tmp_path / "o"))
    assert reader.returncode == 2 and "a warehouse is created only by a load" in reader.stderr
    assert not (tmp_path / "new.sqlite").exists()
    load = _yj("load-ccis", "--landing", str(landing), "--warehouse", url, "--out", str(tmp_path / "o"))
    assert load.returncode == 0, load.stderr
    assert f"created a new, empty warehouse at {tmp_path / 'new.sqlite'} for this load" in load.stderr
    # The raw archive sits beside the warehouse, not under the folder the command ran from.
    assert (tmp_path / "raw" / "ccis" / "ccis-20261120").is_dir()

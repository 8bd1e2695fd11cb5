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
    result = _yj("board-pack", "--quarter", "2025Q2", "--warehouse", f"sqlite:///{tmp_path / 'empty.sqlite'}", "--out", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the marts are not built yet" in result.stderr


def test_sample_prints_progress_and_where_things_are(tmp_path):
    result = _yj("sample", "--out", str(tmp_path), "--children", "60", "--years", "2", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "generating 60 children" in result.stdout and "landing folder:" in result.stdout
    assert (tmp_path / "landing" / "case_system" / "corepl-20261120" / "manifest.json").exists()

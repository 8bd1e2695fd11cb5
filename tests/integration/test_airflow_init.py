"""airflow-init (deploy/airflow-init.sh) run as root, as docker-compose.yml runs it, twice in a
row with two different AIRFLOW_UIDs (neither the image's 50000), as an operator does who sets
AIRFLOW_UID and later runs it again "after every upgrade". The folders belong to the latest
uid, which can write into landing/, output/ and the logs, and the image's steps (migrate, sign-in
roles and administrator, prepare the warehouse) run as that uid, with the admin's password in
their environment and on no command line.

The image's ``/entrypoint`` is replaced by a probe that records who ran what: the project's
virtualenv lives under root's home, which another uid cannot enter, so Airflow itself cannot
run as another uid here (test_deploy_config runs it)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def image_root():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv, as the init container has")
    base = Path(tempfile.mkdtemp(prefix="yj-init-"))  # reachable by the other uids
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _as(uid: int, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["setpriv", f"--reuid={uid}", "--regid=0", "--clear-groups", *command],
                          capture_output=True, text=True)


def test_airflow_init_runs_twice_with_two_uids(image_root):
    probe_log = image_root / "probe.log"
    probe_log.touch()
    probe_log.chmod(0o666)
    probe = image_root / "entrypoint"
    probe.write_text(f'#!/bin/bash\necho "$(id -u):$(id -g) ${{AIRFLOW_ADMIN_PASSWORD:+password-in-env}} $*" '
                     f'>> {probe_log}\n')
    probe.chmod(0o755)
    folders = {"YJ_INIT_DATA_DIR": image_root / "data", "YJ_INIT_LOGS_DIR": image_root / "logs"}
    env = {**os.environ, **{k: str(v) for k, v in folders.items()}, "YJ_INIT_ENTRYPOINT": str(probe),
           "AIRFLOW_ADMIN_USER": "admin"}
    for run, uid in enumerate((50001, 50002)):
        password = f"first 'run\" %{run}"
        result = subprocess.run(["bash", str(ROOT / "deploy" / "airflow-init.sh")],
                                env={**env, "AIRFLOW_UID": str(uid), "AIRFLOW_ADMIN_PASSWORD": password},
                                capture_output=True, text=True)
        assert result.returncode == 0, f"run {run + 1} (uid {uid}): {result.stderr}"
        assert password not in result.stdout + result.stderr + probe_log.read_text()
        for folder in (folders["YJ_INIT_DATA_DIR"] / "landing" / "police_custody", folders["YJ_INIT_LOGS_DIR"],
                       folders["YJ_INIT_DATA_DIR"] / "output"):
            assert folder.stat().st_uid == uid
            assert _as(uid, "touch", str(folder / f"written-by-{uid}")).returncode == 0
        ran = probe_log.read_text().splitlines()[-3:]
        assert ran == [f"{uid}:0 password-in-env airflow db migrate",
                       f"{uid}:0 password-in-env python -m yj_airflow.deploy auth",
                       f"{uid}:0 password-in-env python -m yj_airflow.deploy prepare-warehouse"]
    # What the first uid wrote is the second's now (a transfer job's file included).
    assert (folders["YJ_INIT_DATA_DIR"] / "output" / "written-by-50001").stat().st_uid == 50002
